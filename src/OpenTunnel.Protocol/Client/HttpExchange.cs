using System.Buffers;
using System.Text;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Client;

/// <summary>
/// The few HTTP/1.1 requests of the OpenConnect sign-in and CONNECT over one stream (the TLS
/// connection to the gateway), as openconnect's http.c speaks them over its own TLS socket. After
/// CONNECT the same stream carries CSTP frames; <see cref="TakeBuffered"/> hands on the bytes that
/// arrived with the CONNECT answer. The stream belongs to the caller.
/// </summary>
public sealed class HttpExchange : IDisposable
{
    private const int MaxHeadLength = 16 * 1024;
    private const int MaxBodyLength = 256 * 1024;

    private byte[] _buffer;
    private int _start;
    private int _end;

    public HttpExchange(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
    }

    public Stream Stream { get; }

    /// <summary>True when the last response said "Connection: close" (or was HTTP/1.0): the next request needs a new connection.</summary>
    public bool ServerClosing { get; private set; }

    /// <summary>Sends one request and reads the response head and (Content-Length) body.</summary>
    /// <exception cref="SignInException">The answer is too long, or the server closed the connection first.</exception>
    /// <exception cref="FormatException">The answer is not HTTP/1.x.</exception>
    public async Task<(HttpResponseHead Head, string Body)> SendAsync(string request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
        var head = await ReadHeadAsync(cancellationToken);
        int length = head.ContentLength;
        if (length > MaxBodyLength)
        {
            throw new SignInException($"HTTP {head.StatusCode}: body of {length} bytes is larger than {MaxBodyLength}");
        }

        string body = length == 0 ? string.Empty : Encoding.UTF8.GetString(await ReadBytesAsync(length, cancellationToken));
        return (head, body);
    }

    /// <summary>
    /// Sends CONNECT and reads only its head: the bytes after it are CSTP frames, which
    /// <see cref="TakeBuffered"/> hands on.
    /// </summary>
    public async Task<HttpResponseHead> SendConnectAsync(string request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
        return await ReadHeadAsync(cancellationToken);
    }

    /// <summary>Bytes already read past the last response, and releases the read buffer.</summary>
    public byte[] TakeBuffered()
    {
        byte[] rest = _buffer.AsSpan(_start, _end - _start).ToArray();
        Dispose();
        return rest;
    }

    /// <summary>Returns the read buffer to the pool; the stream stays open.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _start = _end = 0;
        }
    }

    private async Task<HttpResponseHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int end = _buffer.AsSpan(_start, _end - _start).IndexOf(HttpResponseHead.Terminator);
            if (end >= 0)
            {
                var head = HttpResponseHead.Parse(_buffer.AsSpan(_start, end));
                _start += end + HttpResponseHead.Terminator.Length;
                ServerClosing = string.Equals(head.Get("Connection"), "close", StringComparison.OrdinalIgnoreCase)
                    || head.StatusLine.StartsWith("HTTP/1.0", StringComparison.Ordinal);
                return head;
            }

            if (_end - _start >= MaxHeadLength)
            {
                throw new SignInException($"response head longer than {MaxHeadLength} bytes");
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task<byte[]> ReadBytesAsync(int count, CancellationToken cancellationToken)
    {
        byte[] result = new byte[count];
        int have = Math.Min(count, _end - _start);
        _buffer.AsSpan(_start, have).CopyTo(result);
        _start += have;
        if (have < count)
        {
            await Stream.ReadExactlyAsync(result.AsMemory(have), cancellationToken);
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        int read = await Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new SignInException("server closed the connection before a complete response");
        }

        _end += read;
    }
}
