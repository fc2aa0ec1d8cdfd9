using System.Net.Http.Headers;
using System.Text.Json;

namespace OpenTunnel.Client.Oidc;

/// <summary>The provider's endpoints, from its discovery document.</summary>
public sealed record ProviderEndpoints(string Issuer, string DeviceAuthorizationEndpoint, string TokenEndpoint);

/// <summary>A device authorization answer (RFC 8628 section 3.2).</summary>
public sealed record DeviceAuthorization(string DeviceCode, string UserCode, string VerificationUri, string? VerificationUriComplete, TimeSpan Interval, TimeSpan ExpiresIn);

/// <summary>A token endpoint answer: tokens, or an OAuth error with its description (RFC 6749 section 5.2).</summary>
public sealed record TokenAnswer(string? AccessToken, string? RefreshToken, string? Scope, string? Error, string? ErrorDescription)
{
    /// <summary>"error: description", as the client prints a refusal.</summary>
    public string Describe() => ErrorDescription is { Length: > 0 } description ? $"{Error}: {description}" : Error ?? "no error";
}

/// <summary>
/// The OAuth and OIDC requests of the client over HTTP: discovery, device authorization (RFC 8628)
/// and the token endpoint, as public client <see cref="ClientId"/>.
/// </summary>
public sealed class ProviderClient(HttpClient http)
{
    public const string ClientId = "opentunnel-client";
    public const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8628 section 3.2: the interval when the provider names none.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    public async Task<ProviderEndpoints> DiscoverAsync(Uri server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var url = new Uri(server, ".well-known/openid-configuration");
        using JsonDocument json = await GetJsonAsync(url, cancellationToken);
        JsonElement root = json.RootElement;
        return new ProviderEndpoints(
            Required(root, "issuer", url),
            Required(root, "device_authorization_endpoint", url),
            Required(root, "token_endpoint", url));
    }

    public async Task<DeviceAuthorization> AuthorizeDeviceAsync(ProviderEndpoints endpoints, string scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        TokenAnswer refusal;
        int status;
        using (HttpResponseMessage response = await PostFormAsync(endpoints.DeviceAuthorizationEndpoint, new Dictionary<string, string> { ["client_id"] = ClientId, ["scope"] = scope }, cancellationToken))
        {
            using JsonDocument json = await ReadJsonAsync(response, endpoints.DeviceAuthorizationEndpoint, cancellationToken);
            JsonElement root = json.RootElement;
            if (response.IsSuccessStatusCode)
            {
                return new DeviceAuthorization(
                    Required(root, "device_code", endpoints.DeviceAuthorizationEndpoint),
                    Required(root, "user_code", endpoints.DeviceAuthorizationEndpoint),
                    Required(root, "verification_uri", endpoints.DeviceAuthorizationEndpoint),
                    Text(root, "verification_uri_complete"),
                    Seconds(root, "interval") ?? DefaultInterval,
                    Seconds(root, "expires_in") ?? TimeSpan.FromMinutes(10));
            }

            refusal = Answer(root);
            status = (int)response.StatusCode;
        }

        string why = refusal.Error is null ? $"HTTP {status} without an OAuth error" : refusal.Describe();
        throw new ProviderException($"The provider refused to start a sign-in for scope '{scope}': {why}", refused: true, refusal.Error);
    }

    /// <summary>POSTs a token request (client_id added); an OAuth error comes back as an answer, anything else unexpected throws.</summary>
    public async Task<TokenAnswer> TokenAsync(string tokenEndpoint, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        form["client_id"] = ClientId;
        using HttpResponseMessage response = await PostFormAsync(tokenEndpoint, form, cancellationToken);
        using JsonDocument json = await ReadJsonAsync(response, tokenEndpoint, cancellationToken);
        TokenAnswer answer = Answer(json.RootElement);
        if (response.IsSuccessStatusCode ? answer.AccessToken is null : answer.Error is null)
        {
            throw new ProviderException($"{tokenEndpoint} answered {(int)response.StatusCode} without {(response.IsSuccessStatusCode ? "an access token" : "an OAuth error")}.", refused: false);
        }

        return answer;
    }

    private static TokenAnswer Answer(JsonElement root) => new(
        Text(root, "access_token"), Text(root, "refresh_token"), Text(root, "scope"), Text(root, "error"), Text(root, "error_description"));

    private async Task<HttpResponseMessage> PostFormAsync(string url, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await SendAsync(request, cancellationToken);
    }

    private async Task<JsonDocument> GetJsonAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using HttpResponseMessage response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ProviderException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}: is the server URL the management service that hosts the identity provider?", refused: false);
        }

        return await ReadJsonAsync(response, url.ToString(), cancellationToken);
    }

    /// <summary>Sends a request; a connection failure or time-out becomes a <see cref="ProviderException"/> that names the URL.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ProviderException($"Cannot reach {request.RequestUri}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProviderException($"{request.RequestUri} did not answer within {http.Timeout.TotalSeconds:0} s.", e);
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string url, CancellationToken cancellationToken)
    {
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            string start = body.Length > 200 ? body[..200] + "…" : body;
            throw new ProviderException($"{url} answered {(int)response.StatusCode} with something that is not JSON: {start}", refused: false);
        }
    }

    private static string Required(JsonElement root, string name, object url) =>
        Text(root, name) ?? throw new ProviderException($"The answer of {url} lacks '{name}'.", refused: false);

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan? Seconds(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
