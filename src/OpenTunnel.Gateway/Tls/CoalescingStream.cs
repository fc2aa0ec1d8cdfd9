using System.Buffers;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// Sits between SslStream and the socket. Once <see cref="Coalescing"/> is on (after the CONNECT
/// answer), the TLS records of consecutive frames collect in one buffer and go to the socket in
/// one send when the session's queue runs empty (<see cref="FlushAsync(CancellationToken)"/>) or
/// the buffer is full. Each frame is still its own TLS record, as openconnect requires; only
/// the system calls are shared. Reads pass straight through. Writes are serialised because
/// SslStream may also write from its read side (TLS 1.3 post-handshake messages). The buffer is
/// rented at the first collected record and returned once its bytes are sent, so an idle
/// connection holds none.
/// </summary>
internal sealed class CoalescingStream : Stream
{
    /// <summary>About 45 full-size records per send.</summary>
    private const int BufferSize = 64 * 1024;

    private readonly Stream _inner;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private byte[] _buffer = [];
    private int _count;

    public CoalescingStream(Stream inner)
    {
        _inner = inner;
    }

    /// <summary>Collect writes until a flush; off during the handshake and the HTTP exchange.</summary>
    public bool Coalescing { get; set; }

    /// <summary>Whether collected records hold a buffer now; none once they are sent.</summary>
    internal bool HoldsBuffer => _buffer.Length > 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (!Coalescing || buffer.Length > BufferSize)
            {
                await SendBufferedAsync(cancellationToken);
                await _inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            if (_count + buffer.Length > BufferSize)
            {
                await SendBufferedAsync(cancellationToken);
            }

            if (_buffer.Length == 0)
            {
                _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            }

            buffer.Span.CopyTo(_buffer.AsSpan(_count));
            _count += buffer.Length;
        }
        finally
        {
            _writing.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await SendBufferedAsync(cancellationToken);
            await _inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            ReturnBuffer(Interlocked.Exchange(ref _buffer, []));
        }

        base.Dispose(disposing);
    }

    private async ValueTask SendBufferedAsync(CancellationToken cancellationToken)
    {
        if (_count > 0)
        {
            int count = _count;
            _count = 0;
            byte[] buffer = Interlocked.Exchange(ref _buffer, []);
            try
            {
                await _inner.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
            }
            finally
            {
                ReturnBuffer(buffer);
            }
        }
    }

    private static void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
