using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Link;

/// <summary>
/// HTTP to the management service: a client whose TLS trust is a <see cref="ManagementTrust"/>
/// and which presents the agent's certificate when it has one, and one way to send a JSON
/// request and turn every failure into a <see cref="ManagementLinkException"/> with the service's own reason.
/// </summary>
public static class ManagementHttp
{
    public static HttpClient CreateClient(Uri baseAddress, ManagementTrust trust, X509Certificate2? clientCertificate)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust.Validate(certificate, chain, errors),
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends <paramref name="body"/> (or nothing) and reads a <typeparamref name="T"/> (default for 204).
    /// <paramref name="timeout"/> bounds the whole call; the caller's token only stops it.
    /// </summary>
    public static async Task<T?> SendAsync<T>(HttpClient client, HttpMethod method, string path, object? body, ManagementTrust trust, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(trust);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: AgentJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, limit.Token);
        }
        catch (HttpRequestException e)
        {
            string reason = trust.LastProblem is { } problem && e.InnerException is AuthenticationException ? problem : e.InnerException?.Message ?? e.Message;
            throw new ManagementLinkException(ManagementFailure.Unreachable, $"{method} {new Uri(client.BaseAddress!, path)} failed: {reason}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ManagementLinkException(ManagementFailure.Unreachable, $"{method} {new Uri(client.BaseAddress!, path)} got no answer within {timeout.TotalSeconds:0} s.", e);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return response.StatusCode == HttpStatusCode.NoContent
                    ? default
                    : await response.Content.ReadFromJsonAsync<T>(AgentJson.Options, limit.Token);
            }

            string reason = await ReasonAsync(response, limit.Token);
            ManagementFailure failure = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ManagementFailure.Refused,
                >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => ManagementFailure.Unreachable,
                _ => ManagementFailure.Rejected,
            };
            throw new ManagementLinkException(failure, $"{method} {path} was answered {(int)response.StatusCode}: {reason}");
        }
    }

    /// <summary>The problem's detail, title and field errors, or the body's start.</summary>
    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(text);
            JsonElement root = json.RootElement;
            var parts = new List<string>();
            if (root.TryGetProperty("detail", out JsonElement detail) && detail.ValueKind == JsonValueKind.String)
            {
                parts.Add(detail.GetString()!);
            }
            else if (root.TryGetProperty("title", out JsonElement title) && title.ValueKind == JsonValueKind.String)
            {
                parts.Add(title.GetString()!);
            }

            if (root.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty field in errors.EnumerateObject())
                {
                    foreach (JsonElement message in field.Value.EnumerateArray())
                    {
                        parts.Add($"{field.Name} {message.GetString()}");
                    }
                }
            }

            return parts.Count > 0 ? string.Join(" ", parts) : text;
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text.Length == 0 ? response.ReasonPhrase ?? "no reason given" : text;
        }
    }
}
