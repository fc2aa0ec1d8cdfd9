using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OpenTunnel.Testing.Identity;

/// <summary>A token endpoint answer: the tokens, or the error and its description.</summary>
public sealed record TokenResponse(HttpStatusCode Status, JsonElement Json)
{
    public string? AccessToken => Value("access_token");

    public string? RefreshToken => Value("refresh_token");

    public string? Error => Value("error");

    public string? ErrorDescription => Value("error_description");

    private string? Value(string name) => Json.TryGetProperty(name, out JsonElement value) ? value.GetString() : null;
}

/// <summary>
/// The client side of the provider's OAuth flows over real HTTP, as the Linux client and a
/// browser would use them: device authorization, the verification page, token polling and refresh.
/// <paramref name="browserHandler"/> makes the browser's handler (one that trusts the test's CA over https); default a plain one.
/// </summary>
public sealed class OidcClient(HttpClient http, string issuer, Func<HttpClientHandler>? browserHandler = null)
{
    public const string DeviceClient = "opentunnel-client";

    public string TokenEndpoint => issuer.TrimEnd('/') + "/connect/token";

    public const string AntiforgeryField = "__RequestVerificationToken";

    public async Task<(string DeviceCode, string UserCode)> RequestDeviceCodeAsync(string scope, string? deviceName = null)
    {
        var form = new Dictionary<string, string> { ["client_id"] = DeviceClient, ["scope"] = scope };
        if (deviceName is not null)
        {
            form["device_name"] = deviceName;
        }

        using HttpResponseMessage response = await http.PostAsync("/connect/device", new FormUrlEncodedContent(form));
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Device authorization failed: {body}");
        }

        using JsonDocument json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("device_code").GetString()!, json.RootElement.GetProperty("user_code").GetString()!);
    }

    /// <summary>
    /// What a person does in a browser on the verification page: opens it with the user code, signs
    /// in (with the page's anti-forgery token), and on the consent page presses
    /// <paramref name="consent"/> (allow or deny). The last answer: a redirect when approved, the
    /// sign-in form (400) when the sign-in was refused.
    /// </summary>
    public async Task<HttpResponseMessage> ApproveAsync(string userCode, string userName, string password, string? oneTimeCode = null, string consent = "allow")
    {
        using HttpClient browser = Browser();
        // The page answers 400 with the form again for an unknown or expired code; its token is still there.
        using HttpResponseMessage opened = await browser.GetAsync(new Uri($"/connect/verify?user_code={Uri.EscapeDataString(userCode)}", UriKind.Relative));
        var form = new Dictionary<string, string>
        {
            ["user_code"] = userCode,
            ["username"] = userName,
            ["password"] = password,
            [AntiforgeryField] = HiddenField(await opened.Content.ReadAsStringAsync(), AntiforgeryField) ?? "",
        };
        if (oneTimeCode is not null)
        {
            form["otp"] = oneTimeCode;
        }

        HttpResponseMessage signedIn = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(form));
        string page = await signedIn.Content.ReadAsStringAsync();
        if (signedIn.StatusCode != HttpStatusCode.OK || HiddenField(page, "consent_ticket") is not { } ticket)
        {
            return signedIn;
        }

        signedIn.Dispose();
        return await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = userCode,
            ["consent_ticket"] = ticket,
            [AntiforgeryField] = HiddenField(page, AntiforgeryField) ?? "",
            ["consent"] = consent,
        }));
    }

    /// <summary>The value of the hidden field <paramref name="name"/> of an HTML page, or null.</summary>
    public static string? HiddenField(string html, string name) =>
        HiddenFields(html).TryGetValue(name, out string? value) ? value : null;

    /// <summary>Every hidden field of an HTML page (the first of each name), as a browser posts them.</summary>
    public static Dictionary<string, string> HiddenFields(string html)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in Regex.Matches(html, "<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">"))
        {
            fields.TryAdd(WebUtility.HtmlDecode(match.Groups[1].Value), WebUtility.HtmlDecode(match.Groups[2].Value));
        }

        return fields;
    }

    /// <summary>A browser of its own (its own cookies: parallel sign-ins do not share an anti-forgery cookie), with this client's address and headers.</summary>
    private HttpClient Browser()
    {
        HttpClientHandler handler = browserHandler?.Invoke() ?? new HttpClientHandler();
        handler.AllowAutoRedirect = false;
        handler.CookieContainer = new CookieContainer();
        var browser = new HttpClient(handler) { BaseAddress = http.BaseAddress };
        foreach (KeyValuePair<string, IEnumerable<string>> header in http.DefaultRequestHeaders)
        {
            browser.DefaultRequestHeaders.TryAddWithoutValidation(header.Key, header.Value);
        }

        return browser;
    }

    public Task<TokenResponse> PollAsync(string deviceCode, IReadOnlyDictionary<string, string>? extra = null) =>
        TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
            ["device_code"] = deviceCode,
            ["client_id"] = DeviceClient,
        }, extra);

    public Task<TokenResponse> RefreshAsync(string refreshToken, IReadOnlyDictionary<string, string>? extra = null) =>
        TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = DeviceClient,
        }, extra);

    public async Task<TokenResponse> TokenAsync(Dictionary<string, string> form, IReadOnlyDictionary<string, string>? extra = null)
    {
        foreach ((string key, string value) in extra ?? new Dictionary<string, string>())
        {
            form[key] = value;
        }

        using HttpResponseMessage response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        string body = await response.Content.ReadAsStringAsync();
        return new TokenResponse(response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>The whole device flow: request a code, approve it as the user, poll once; asserts that tokens came.</summary>
    public async Task<TokenResponse> DeviceFlowAsync(string userName, string password, string scope, Func<IReadOnlyDictionary<string, string>>? extra = null)
    {
        TokenResponse tokens = await TryDeviceFlowAsync(userName, password, scope, extra);
        if (tokens.AccessToken is null)
        {
            throw new InvalidOperationException($"No tokens: {tokens.Json}");
        }

        return tokens;
    }

    public async Task<TokenResponse> TryDeviceFlowAsync(string userName, string password, string scope, Func<IReadOnlyDictionary<string, string>>? extra = null)
    {
        (string deviceCode, string userCode) = await RequestDeviceCodeAsync(scope);
        using HttpResponseMessage approved = await ApproveAsync(userCode, userName, password);
        if (approved.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Approval answered {(int)approved.StatusCode}: {await approved.Content.ReadAsStringAsync()}");
        }

        return await PollAsync(deviceCode, extra?.Invoke());
    }
}
