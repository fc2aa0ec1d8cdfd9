using System.Globalization;
using System.Text;
using OpenTunnel.Protocol.Auth;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Client;

/// <summary>
/// What a client signs in with: an OIDC access token (sent as <c>Authorization: Bearer</c> when the
/// server challenges for it, or in a password field), and a user name and password for servers
/// with a password form (ocserv's <c>auth = plain</c>).
/// </summary>
public sealed record SignInCredentials(string? Token, string? User = null, string? Password = null);

/// <summary>What a client asks for in CONNECT (openconnect cstp.c <c>start_cstp_connection</c>).</summary>
public sealed record ClientConnectOptions
{
    /// <summary>X-CSTP-Hostname: the name the gateway shows for this device.</summary>
    public required string Hostname { get; init; }

    /// <summary>X-CSTP-Base-MTU: the MTU of the link the client reaches the gateway over.</summary>
    public int BaseMtu { get; init; } = 1500;

    /// <summary>X-CSTP-MTU: the tunnel MTU the client would like; the gateway answers with the one it grants.</summary>
    public int Mtu { get; init; } = 1406;

    /// <summary>On a reconnect, the addresses the tunnel had (X-CSTP-Address), so the gateway gives them back.</summary>
    public IReadOnlyList<string> PreviousAddresses { get; init; } = [];

    /// <summary>X-DTLS-Master-Secret (96 hex digits) and the suites offered with it; null: no DTLS is asked for.</summary>
    public string? DtlsMasterSecret { get; init; }

    public string? DtlsCipherSuites { get; init; }

    public string? Dtls12CipherSuites { get; init; }
}

/// <summary>
/// The client side of the OpenConnect sign-in as openconnect 9.01 runs it (auth.c, oidc.c): the
/// <c>init</c> POST, a Bearer challenge answered with the token, forms answered field by field,
/// until <c>auth id="success"</c> brings the <c>webvpn</c> cookie; and the CONNECT request.
/// </summary>
public static class ClientSignIn
{
    private const int MaxAuthSteps = 8;

    /// <summary>
    /// Runs the sign-in on <paramref name="exchange"/> and returns the session cookie. Throws
    /// <see cref="SignInException"/> naming the step and the server's answer when it refuses,
    /// <see cref="SignInRedirectException"/> when it sends the client to another server of its
    /// site, and <see cref="FormatException"/> when an answer is not the HTTP or XML it should be.
    /// <paramref name="path"/> is where the first request goes: "/", or the path and query of a redirect.
    /// </summary>
    public static async Task<string> SignInAsync(HttpExchange exchange, string host, int port, SignInCredentials credentials, CancellationToken cancellationToken, string path = "/")
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(path);
        var cookies = new CookieJar();
        string body = AuthMessages.Init($"https://{host}:{port.ToString(CultureInfo.InvariantCulture)}/");
        string? bearer = null;
        for (int step = 1; step <= MaxAuthSteps; step++)
        {
            var (head, responseBody) = await exchange.SendAsync(PostRequest(host, path, body, cookies.ToHeaderValue(), bearer), cancellationToken);
            cookies.Update(head);
            if (head.StatusCode == 401 && head.Get("WWW-Authenticate")?.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase) == true)
            {
                if (credentials.Token is null || bearer is not null)
                {
                    throw new SignInException($"sign-in step {step}: HTTP 401 Bearer challenge{(bearer is null ? " and no token configured" : ": the token was refused" + Reason(head))}");
                }

                // RFC 6750 challenge: repeat the request with the token, as openconnect --token-mode=oidc does.
                bearer = credentials.Token;
                continue;
            }

            if (head.StatusCode is 301 or 302 or 303 or 307 or 308)
            {
                string? location = head.Get("Location");
                if (!Uri.TryCreate(location, UriKind.Absolute, out Uri? target) || target.Scheme != Uri.UriSchemeHttps)
                {
                    throw new SignInException($"sign-in step {step}: HTTP {head.StatusCode} to '{location}', which is not an absolute https:// URL");
                }

                throw new SignInRedirectException(target);
            }

            if (head.StatusCode != 200)
            {
                throw new SignInException($"sign-in step {step}: HTTP {head.StatusCode}{Reason(head)}");
            }

            if (AuthMessages.Parse(responseBody, out var form) == AuthOutcome.Success)
            {
                return cookies.SessionCookie ?? throw new SignInException($"sign-in step {step}: success without a {CookieJar.SessionCookieName} cookie");
            }

            body = AuthMessages.Reply(form!, input => Fill(input, form!, credentials, step));
            path = form!.Action;
        }

        throw new SignInException($"sign-in did not finish within {MaxAuthSteps} steps");
    }

    /// <summary>The CONNECT request (openconnect cstp.c <c>start_cstp_connection</c>).</summary>
    public static string ConnectRequest(string host, string cookie, ClientConnectOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var request = new StringBuilder(512);
        request.Append(CultureInfo.InvariantCulture, $"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {AuthMessages.UserAgent}\r\n");
        request.Append(CultureInfo.InvariantCulture, $"Cookie: {CookieJar.SessionCookieName}={cookie}\r\nX-CSTP-Version: 1\r\nX-CSTP-Hostname: {options.Hostname}\r\n");
        request.Append(CultureInfo.InvariantCulture, $"X-CSTP-Base-MTU: {options.BaseMtu}\r\nX-CSTP-MTU: {options.Mtu}\r\n");
        request.Append("X-CSTP-Address-Type: IPv6,IPv4\r\nX-CSTP-Full-IPv6-Capability: true\r\n");
        foreach (string address in options.PreviousAddresses)
        {
            request.Append(CultureInfo.InvariantCulture, $"X-CSTP-Address: {address}\r\n");
        }

        if (options.DtlsMasterSecret is not null)
        {
            request.Append(CultureInfo.InvariantCulture, $"X-DTLS-Master-Secret: {options.DtlsMasterSecret}\r\n");
            if (options.DtlsCipherSuites is not null)
            {
                request.Append(CultureInfo.InvariantCulture, $"X-DTLS-CipherSuite: {options.DtlsCipherSuites}\r\n");
            }

            if (options.Dtls12CipherSuites is not null)
            {
                request.Append(CultureInfo.InvariantCulture, $"X-DTLS12-CipherSuite: {options.Dtls12CipherSuites}\r\n");
            }

            request.Append("X-DTLS-Accept-Encoding: identity\r\n");
        }

        request.Append("\r\n");
        return request.ToString();
    }

    public static string PostRequest(string host, string path, string body, string? cookies, string? bearerToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var request = new StringBuilder(512 + body.Length);
        request.Append(CultureInfo.InvariantCulture, $"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {AuthMessages.UserAgent}\r\n");
        request.Append("Accept: */*\r\nAccept-Encoding: identity\r\nX-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\nX-Support-HTTP-Auth: true\r\n");
        if (cookies is not null)
        {
            request.Append(CultureInfo.InvariantCulture, $"Cookie: {cookies}\r\n");
        }

        if (bearerToken is not null)
        {
            request.Append(CultureInfo.InvariantCulture, $"Authorization: Bearer {bearerToken}\r\n");
        }

        request.Append(CultureInfo.InvariantCulture, $"Content-Type: application/xml; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n");
        request.Append(body);
        return request.ToString();
    }

    /// <summary>The server's X-Reason, in brackets, or nothing.</summary>
    public static string Reason(HttpResponseHead head) =>
        head?.Get("X-Reason") is { } reason ? " (" + reason + ")" : string.Empty;

    private static string? Fill(AuthInput input, AuthForm form, SignInCredentials credentials, int step) => input.Type switch
    {
        "password" => credentials.Password ?? credentials.Token
            ?? throw new SignInException($"sign-in step {step}: the server asks for '{input.Name}' ({form.Message ?? "a password form"}) and no password or token was given"),
        "text" => credentials.User
            ?? throw new SignInException($"sign-in step {step}: the server asks for '{input.Name}' ({form.Message ?? "a user name"}) and no user name was given"),
        _ => null,
    };
}
