using System.Globalization;
using System.Text;

namespace OpenTunnel.Protocol.Http;

/// <summary>
/// An HTTP/1.1 response of the auth exchange or the CONNECT, written as bytes. The status line
/// always carries a reason phrase: openconnect checks for the exact prefix <c>HTTP/1.1 200 </c>
/// (cstp.c <c>start_cstp_connection</c>).
/// </summary>
public sealed class HttpResponse
{
    private readonly List<KeyValuePair<string, string>> _headers = [];
    private byte[] _body = [];

    public HttpResponse(int status, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Status = status;
        Reason = reason;
    }

    public int Status { get; }

    public string Reason { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public ReadOnlySpan<byte> Body => _body;

    /// <summary>True when the response has no Content-Length: the CONNECT response, after which CSTP frames follow.</summary>
    public bool IsTunnel { get; private set; }

    public HttpResponse Header(string name, string value)
    {
        if (name.AsSpan().ContainsAny('\r', '\n', ':') || value.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException($"Header '{name}' would break the response: names and values must not contain line breaks.");
        }

        _headers.Add(new KeyValuePair<string, string>(name, value));
        return this;
    }

    public HttpResponse Content(string contentType, string body)
    {
        Header("Content-Type", contentType);
        _body = Encoding.UTF8.GetBytes(body);
        return this;
    }

    /// <summary>Marks the response as the start of a tunnel: no Content-Length is written.</summary>
    public HttpResponse AsTunnel()
    {
        IsTunnel = true;
        return this;
    }

    public byte[] ToBytes()
    {
        var text = new StringBuilder(256);
        text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {Status} {Reason}\r\n");
        foreach (var header in _headers)
        {
            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        if (!IsTunnel)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {_body.Length}\r\n");
        }

        text.Append("\r\n");
        byte[] head = Encoding.UTF8.GetBytes(text.ToString());
        if (_body.Length == 0)
        {
            return head;
        }

        byte[] all = new byte[head.Length + _body.Length];
        head.CopyTo(all, 0);
        _body.CopyTo(all, head.Length);
        return all;
    }

    /// <summary>The response as text, for tests and logs.</summary>
    public override string ToString() => Encoding.UTF8.GetString(ToBytes());
}
