using System.Buffers;
using OpenTunnel.Protocol.Tls;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// Sits between SslStream and the socket. Once <see cref="Coalescing"/> is on (after the CONNECT
/// answer), the TLS records of consecutive frames collect in one buffer and go to the socket in
/// one send when the session's queue runs empty (<see cref="FlushAsync(CancellationToken)"/>) or
/// the buffer is full. Each frame is still its own TLS record, as openconnect requires; only
/// the system calls are shared. Until <see cref="StopTapping"/> (the handshake and the sign-in)
/// reads stop at the end of each TLS record, so that SslStream never holds bytes of a record it
/// has not decrypted, and the last application-data record each way is kept: a connection can
/// then leave SslStream for <see cref="TlsRecordStream"/> after its CONNECT, which learns from them
/// where the sequence numbers stand. Otherwise reads pass straight through. Writes are serialised because
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
    private RecordTap? _readTap;
    private RecordTap? _writeTap;

    public CoalescingStream(Stream inner)
    {
        _inner = inner;
        _readTap = new RecordTap();
        _writeTap = new RecordTap();
    }

    /// <summary>Ends the tapping of the handshake and the sign-in: reads pass straight through from now on.</summary>
    public void StopTapping()
    {
        _readTap = null;
        _writeTap = null;
    }

    /// <summary>Collect writes until a flush; off during the handshake and the HTTP exchange.</summary>
    public bool Coalescing { get; set; }

    /// <summary>
    /// Set once one writer whose calls never overlap has the stream to itself (the
    /// <see cref="TlsRecordStream"/> of a taken-over connection, fed by its session's one writer):
    /// writes and flushes then skip the lock that SslStream's two sides need, and the writer may
    /// seal its records straight into the buffer (<see cref="TryReserve"/>).
    /// </summary>
    public bool SingleWriter { get; set; }

    /// <summary>The last whole application-data record read before <see cref="StopTapping"/>; null if none.</summary>
    public byte[]? LastRecordRead => _readTap?.Last;

    /// <summary>The last whole application-data record written before <see cref="StopTapping"/>; null if none.</summary>
    public byte[]? LastRecordWritten => _writeTap?.Last;

    /// <summary>Whether collected records hold a buffer now; none once they are sent.</summary>
    internal bool HoldsBuffer => _buffer.Length > 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _readTap is { } tap && !buffer.IsEmpty ? ReadRecordAsync(tap, buffer, cancellationToken) : _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        bool locked = !SingleWriter;
        if (locked)
        {
            await _writing.WaitAsync(cancellationToken);
        }

        try
        {
            _writeTap?.Feed(buffer.Span);
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
            if (locked)
            {
                _writing.Release();
            }
        }
    }

    /// <summary>
    /// With <see cref="SingleWriter"/> and <see cref="Coalescing"/> on: room for <paramref name="length"/>
    /// bytes behind the collected records, for the writer to fill and then count in with
    /// <see cref="Commit"/> (a record sealed in place, with no copy); false when they do not fit,
    /// and the writer writes them instead.
    /// </summary>
    public bool TryReserve(int length, out Span<byte> room)
    {
        if (!SingleWriter || !Coalescing || _count + length > BufferSize)
        {
            room = default;
            return false;
        }

        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        }

        room = _buffer.AsSpan(_count, length);
        return true;
    }

    /// <summary>Counts in the <paramref name="length"/> bytes the writer put in the room <see cref="TryReserve"/> gave.</summary>
    public void Commit(int length) => _count += length;

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        bool locked = !SingleWriter;
        if (locked)
        {
            await _writing.WaitAsync(cancellationToken);
        }

        try
        {
            await SendBufferedAsync(cancellationToken);
            await _inner.FlushAsync(cancellationToken);
        }
        finally
        {
            if (locked)
            {
                _writing.Release();
            }
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

    /// <summary>A read that ends where the current record ends, its bytes fed to the tap.</summary>
    private async ValueTask<int> ReadRecordAsync(RecordTap tap, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = await _inner.ReadAsync(buffer[..Math.Min(buffer.Length, tap.LeftInRecord)], cancellationToken);
        tap.Feed(buffer.Span[..read]);
        return read;
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

    /// <summary>
    /// Follows a stream of TLS records and keeps a copy of the last whole application-data record
    /// (the handshake's and the sign-in's records are few and small). Records of another type, or
    /// longer than TLS 1.3 allows (which SslStream refuses), are followed but not copied.
    /// </summary>
    private sealed class RecordTap
    {
        private readonly byte[] _header = new byte[Tls13RecordProtection.HeaderLength];
        private int _headerCount;

        /// <summary>Bytes of the current record's body still to come; -1 while its header is read.</summary>
        private int _bodyLeft = -1;
        private byte[]? _record;

        public byte[]? Last { get; private set; }

        /// <summary>Bytes up to the end of the current record (its header first).</summary>
        public int LeftInRecord => _bodyLeft < 0 ? Tls13RecordProtection.HeaderLength - _headerCount : _bodyLeft;

        public void Feed(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty || _bodyLeft == 0)
            {
                int n = Math.Min(bytes.Length, LeftInRecord);
                if (_bodyLeft < 0)
                {
                    bytes[..n].CopyTo(_header.AsSpan(_headerCount));
                    _headerCount += n;
                    if (_headerCount == _header.Length)
                    {
                        Tls13RecordProtection.TryReadHeader(_header, out var type, out int bodyLength);
                        _bodyLeft = bodyLength;
                        _headerCount = 0;
                        if (type == TlsContentType.ApplicationData && bodyLength <= Tls13RecordProtection.MaxCiphertextLength)
                        {
                            _record = new byte[_header.Length + bodyLength];
                            _header.CopyTo(_record, 0);
                        }
                    }
                }
                else
                {
                    if (_record is not null)
                    {
                        bytes[..n].CopyTo(_record.AsSpan(_record.Length - _bodyLeft));
                    }

                    _bodyLeft -= n;
                    if (_bodyLeft == 0)
                    {
                        Last = _record ?? Last;
                        _record = null;
                        _bodyLeft = -1;
                    }
                }

                bytes = bytes[n..];
            }
        }
    }
}
