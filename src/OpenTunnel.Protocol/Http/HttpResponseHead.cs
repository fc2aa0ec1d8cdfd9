using System.Globalization;
using System.Text;

namespace OpenTunnel.Protocol.Http;

/// <summary>
/// The status line and headers of an HTTP/1.1 response, as the OpenConnect servers send them on
/// the auth exchange and on CONNECT (ocserv worker-http.c writes plain HTTP/1.1, no folding).
/// </summary>
public sealed class HttpResponseHead
{
    /// <summary>The end of a response head.</summary>
    public static ReadOnlySpan<byte> Terminator => "\r\n\r\n"u8;

    private readonly List<KeyValuePair<string, string>> _headers;

    private HttpResponseHead(string statusLine, int statusCode, List<KeyValuePair<string, string>> headers)
    {
        StatusLine = statusLine;
        StatusCode = statusCode;
        _headers = headers;
    }

    public string StatusLine { get; }

    public int StatusCode { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>The value of Content-Length, 0 when absent.</summary>
    public int ContentLength
    {
        get
        {
            string? value = Get("Content-Length");
            return value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int length) ? length : 0;
        }
    }

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Get(string name)
    {
        foreach (var (key, value) in _headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Every value of header <paramref name="name"/> (Set-Cookie comes several times).</summary>
    public IEnumerable<string> GetAll(string name)
    {
        foreach (var (key, value) in _headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return value;
            }
        }
    }

    /// <summary>
    /// Parses a head (status line and headers, without the blank line). Throws
    /// <see cref="FormatException"/> naming what is wrong when it is not HTTP/1.x.
    /// </summary>
    public static HttpResponseHead Parse(ReadOnlySpan<byte> head)
    {
        string text = Encoding.Latin1.GetString(head);
        string[] lines = text.Split("\r\n");
        string statusLine = lines[0];
        // "HTTP/1.1 200 CONNECTED": openconnect requires the version, a code and a reason phrase.
        if (!statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) || statusLine.Length < 12 || statusLine[8] != ' '
            || !int.TryParse(statusLine.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new FormatException($"Not an HTTP/1.x status line: '{Truncate(statusLine)}'.");
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"Malformed HTTP header line: '{Truncate(line)}'.");
            }

            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        return new HttpResponseHead(statusLine, code, headers);
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
