namespace OpenTunnel.Protocol.Http;

/// <summary>
/// The cookies a server set during the auth exchange, sent back on every later request as
/// openconnect does (http.c http_add_cookie): ocserv links the steps of a multi-step sign-in
/// with a context cookie, and the final "webvpn" cookie authorises CONNECT.
/// </summary>
public sealed class CookieJar
{
    public const string SessionCookieName = "webvpn";

    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    /// <summary>The "webvpn" session cookie, once the server has set it.</summary>
    public string? SessionCookie => _cookies.GetValueOrDefault(SessionCookieName);

    public int Count => _cookies.Count;

    /// <summary>Takes every Set-Cookie of a response; an empty value deletes the cookie (servers clear with "name=; expires=...").</summary>
    public void Update(HttpResponseHead response)
    {
        foreach (string setCookie in response.GetAll("Set-Cookie"))
        {
            int end = setCookie.IndexOf(';', StringComparison.Ordinal);
            string pair = end < 0 ? setCookie : setCookie[..end];
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                // openconnect aborts on a Set-Cookie without '=': report it the same way.
                throw new FormatException($"Set-Cookie without a name=value pair: '{setCookie}'.");
            }

            string name = pair[..equals].Trim();
            string value = pair[(equals + 1)..].Trim();
            if (value.Length == 0)
            {
                _cookies.Remove(name);
            }
            else
            {
                _cookies[name] = value;
            }
        }
    }

    /// <summary>The value of a Cookie request header ("a=1; b=2"), or null when the jar is empty.</summary>
    public string? ToHeaderValue() =>
        _cookies.Count == 0 ? null : string.Join("; ", _cookies.Select(c => c.Key + "=" + c.Value));
}
