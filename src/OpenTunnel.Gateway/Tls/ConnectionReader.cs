using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// Reads one client connection through a single rented buffer: first the HTTP requests of the
/// sign-in and the CONNECT, then, on the same bytes, CSTP frames (bytes the client sent right
/// after the CONNECT are kept). A frame is valid in <see cref="Buffer"/> until the next read.
/// The buffer is held only while bytes are waiting in it: once everything read has been
/// consumed it goes back to the pool and the reader waits for the next bytes with a zero-byte
/// read, so an idle connection holds no buffer of its own (docs/gateway.md, "Memory").
/// </summary>
public sealed class ConnectionReader : IDisposable
{
    /// <summary>
    /// Largest CSTP payload taken from a client. Real frames are at most the MTU (the largest
    /// is openconnect's DPD MTU probe); a bigger one means the stream is out of step.
    /// </summary>
    public const int MaxFramePayload = 16 * 1024;

    private const int BufferSize = HttpRequestParser.MaxHeadLength + 8 * 1024;

    private Stream _stream;
    private byte[] _buffer = [];
    private int _start;
    private int _end;

    public ConnectionReader(Stream stream)
    {
        _stream = stream;
    }

    public byte[] Buffer => _buffer;

    /// <summary>Goes on reading the same connection through <paramref name="stream"/> (its TLS records taken over); bytes read already stay.</summary>
    public void Continue(Stream stream) => _stream = stream;

    /// <summary>
    /// Reads the next request and its body. Null when the client closed the connection between
    /// requests. Throws <see cref="InvalidDataException"/> naming the problem for a bad request.
    /// </summary>
    public async ValueTask<(HttpRequestHead Head, byte[] Body)?> ReadRequestAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = HttpRequestParser.TryParse(_buffer.AsSpan(_start, _end - _start), out var head, out int headLength, out string? error);
            if (status == HttpParseStatus.Invalid)
            {
                throw new InvalidDataException(error);
            }

            if (status == HttpParseStatus.Complete)
            {
                _start += headLength;
                byte[] body = new byte[head!.ContentLength];
                int copied = 0;
                while (copied < body.Length)
                {
                    if (_start == _end && !await FillAsync(cancellationToken))
                    {
                        throw new InvalidDataException("connection closed inside a request body");
                    }

                    int n = Math.Min(body.Length - copied, _end - _start);
                    _buffer.AsSpan(_start, n).CopyTo(body.AsSpan(copied));
                    _start += n;
                    copied += n;
                }

                return (head, body);
            }

            if (!await FillAsync(cancellationToken))
            {
                if (_start != _end)
                {
                    throw new InvalidDataException("connection closed inside a request head");
                }

                return null;
            }
        }
    }

    /// <summary>
    /// Reads the next CSTP frame; its payload is <c>Buffer[offset..offset+length]</c> until the next
    /// call. False when the client closed the connection. Throws <see cref="InvalidDataException"/>
    /// when the stream is out of step (bad magic, oversized frame).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CstpFrameView?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = CstpFrame.TryReadHeader(_buffer.AsSpan(_start, _end - _start), out var type, out int length);
            if (status == CstpHeaderStatus.BadMagic)
            {
                throw new InvalidDataException("a frame does not start with the CSTP magic");
            }

            if (status == CstpHeaderStatus.Complete)
            {
                if (length > MaxFramePayload)
                {
                    throw new InvalidDataException($"a frame of {length} bytes is larger than {MaxFramePayload}");
                }

                if (_end - _start >= CstpFrame.HeaderLength + length)
                {
                    var frame = new CstpFrameView(type, _start + CstpFrame.HeaderLength, length);
                    _start += CstpFrame.HeaderLength + length;
                    return frame;
                }
            }

            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Whether a whole frame is buffered already, so the next <see cref="ReadFrameAsync"/> returns without reading.</summary>
    public bool HasBufferedFrame =>
        CstpFrame.TryReadHeader(_buffer.AsSpan(_start, _end - _start), out _, out int length) == CstpHeaderStatus.Complete
        && _end - _start >= CstpFrame.HeaderLength + length;

    public void Dispose() => ReturnBuffer();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
            ReturnBuffer();

            // Wait for bytes without a buffer; SslStream passes a zero-byte read down to the socket.
            int none = await _stream.ReadAsync(Memory<byte>.Empty, cancellationToken);
            Debug.Assert(none == 0, "a zero-byte read returns no bytes");
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        }
        else if (_buffer.Length - _end < MaxFramePayload + CstpFrame.HeaderLength)
        {
            // Keep the unread bytes and make room behind them.
            System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (n == 0)
        {
            return false;
        }

        _end += n;
        return true;
    }

    private void ReturnBuffer()
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Where a CSTP frame's payload lies in <see cref="ConnectionReader.Buffer"/>.</summary>
public readonly record struct CstpFrameView(CstpPacketType Type, int Offset, int Length);
