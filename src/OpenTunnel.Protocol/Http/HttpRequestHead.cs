namespace OpenTunnel.Protocol.Http;

/// <summary>
/// The request line and headers of one HTTP/1.1 request of the auth exchange or the CONNECT
/// (ocserv worker-http.c parses the same few requests by hand: the CSTP stream follows the
/// CONNECT on the same connection, so no general HTTP server fits).
/// </summary>
public sealed class HttpRequestHead
{
    public HttpRequestHead(string method, string target, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
    }

    /// <summary>GET, POST, CONNECT...</summary>
    public string Method { get; }

    /// <summary>The request target as sent, for example <c>/</c> or <c>/CSCOSSLC/tunnel</c>.</summary>
    public string Target { get; }

    /// <summary>The target without its query string.</summary>
    public string Path => Target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? Target[..q] : Target;

    /// <summary>HTTP/1.1 or HTTP/1.0.</summary>
    public string Version { get; }

    /// <summary>Every header in the order received; names keep their case.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The first header named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var header in Headers)
            {
                if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return header.Value;
                }
            }

            return null;
        }
    }

    /// <summary>The Content-Length, 0 when absent.</summary>
    public int ContentLength { get; init; }

    /// <summary>The value of the cookie <paramref name="name"/> in the Cookie headers, or null.</summary>
    public string? GetCookie(string name)
    {
        foreach (var header in Headers)
        {
            if (!string.Equals(header.Key, "Cookie", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (string part in header.Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && part.AsSpan(0, equals).Equals(name, StringComparison.Ordinal))
                {
                    return part[(equals + 1)..];
                }
            }
        }

        return null;
    }
}
