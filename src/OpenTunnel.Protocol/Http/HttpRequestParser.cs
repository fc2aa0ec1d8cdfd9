using System.Globalization;
using System.Text;

namespace OpenTunnel.Protocol.Http;

/// <summary>
/// Parses the head of an HTTP/1.1 request from the bytes received so far. Limits keep a peer
/// from holding memory: an access token in an Authorization header is a few kilobytes, so the
/// head may be up to <see cref="MaxHeadLength"/> bytes.
/// </summary>
public static class HttpRequestParser
{
    /// <summary>The largest request head accepted (request line and headers, with the blank line).</summary>
    public const int MaxHeadLength = 32 * 1024;

    /// <summary>The most headers accepted in one request.</summary>
    public const int MaxHeaderCount = 64;

    /// <summary>The largest body accepted (the auth XML is well under 4 KB).</summary>
    public const int MaxBodyLength = 64 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// Parses a request head at the start of <paramref name="buffer"/>. On
    /// <see cref="HttpParseStatus.Complete"/>, <paramref name="headLength"/> is the number of bytes
    /// the head used (the body, if any, follows). On <see cref="HttpParseStatus.Invalid"/>,
    /// <paramref name="error"/> names the problem.
    /// </summary>
    public static HttpParseStatus TryParse(ReadOnlySpan<byte> buffer, out HttpRequestHead? head, out int headLength, out string? error)
    {
        head = null;
        headLength = 0;
        error = null;
        int end = buffer.IndexOf(EndOfHead);
        if (end < 0)
        {
            if (buffer.Length >= MaxHeadLength)
            {
                error = $"request head is longer than {MaxHeadLength} bytes";
                return HttpParseStatus.Invalid;
            }

            return HttpParseStatus.Incomplete;
        }

        if (end + EndOfHead.Length > MaxHeadLength)
        {
            error = $"request head is longer than {MaxHeadLength} bytes";
            return HttpParseStatus.Invalid;
        }

        headLength = end + EndOfHead.Length;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(buffer[..end]);
        }
        catch (DecoderFallbackException)
        {
            error = "request head is not valid UTF-8";
            return HttpParseStatus.Invalid;
        }

        string[] lines = text.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length == 0 || requestLine[1].Length == 0
            || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            error = "malformed request line";
            return HttpParseStatus.Invalid;
        }

        if (lines.Length - 1 > MaxHeaderCount)
        {
            error = $"more than {MaxHeaderCount} headers";
            return HttpParseStatus.Invalid;
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        int contentLength = 0;
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(' ', '\t'))
            {
                error = $"malformed header line {i}";
                return HttpParseStatus.Invalid;
            }

            string name = line[..colon];
            string value = line[(colon + 1)..].Trim();
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength) || contentLength > MaxBodyLength)
                {
                    error = $"Content-Length '{value}' is not a number up to {MaxBodyLength}";
                    return HttpParseStatus.Invalid;
                }
            }
            else if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                // The OpenConnect clients send bodies with Content-Length only; refusing chunked
                // bodies keeps request smuggling out.
                error = "Transfer-Encoding is not supported";
                return HttpParseStatus.Invalid;
            }

            headers.Add(new KeyValuePair<string, string>(name, value));
        }

        head = new HttpRequestHead(requestLine[0], requestLine[1], requestLine[2], headers) { ContentLength = contentLength };
        return HttpParseStatus.Complete;
    }
}

/// <summary>The outcome of parsing a request head.</summary>
public enum HttpParseStatus
{
    Complete,
    Incomplete,
    Invalid,
}
