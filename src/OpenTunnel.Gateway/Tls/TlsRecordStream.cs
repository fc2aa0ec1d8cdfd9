using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Protocol.Tls;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// A session's TLS 1.3 connection after its CONNECT, its records sealed and opened by the gateway
/// itself (<see cref="Tls13RecordProtection"/>, AES-GCM straight from OpenSSL's libcrypto) instead of
/// through SslStream and libssl, which spend more on each record than its encryption costs: a lock,
/// OpenSSL's error queue and provider lookups, memory BIOs (docs/gateway.md, "TLS records after
/// the CONNECT"). SslStream made the handshake and carried the sign-in; the traffic secrets come
/// from OpenSSL's key log (<see cref="TlsTrafficSecretsSource"/>), and where each direction's
/// sequence numbers stand from the last record each way (<see cref="CoalescingStream.LastRecordRead"/>).
/// One read and one write may run at once. The client's KeyUpdate is followed, and answered
/// before the next record when it asks for one; the gateway updates its own keys well before
/// AES-GCM's limit on records per key. A close_notify alert ends the stream; any other alert, or
/// a record that does not open, fails it.
/// </summary>
internal sealed class TlsRecordStream : Stream
{
    /// <summary>How far back a connection's last record's sequence number is looked for (its requests and answers before the CONNECT).</summary>
    internal const ulong MaxSequenceSearched = 1024;

    /// <summary>Records sealed under one key before the gateway moves to the next (RFC 8446 §5.5 allows 2^24.5 for AES-GCM).</summary>
    internal const ulong RecordsPerKey = 1UL << 23;

    private const int ReceiveBufferSize = 64 * 1024;
    private const byte HandshakeKeyUpdate = 24;
    private const byte AlertCloseNotify = 0;

    private readonly Stream _inner;
    private readonly CoalescingStream? _collector;
    private readonly Tls13RecordProtection _read;
    private readonly Tls13RecordProtection _write;
    private byte[] _received = [];
    private int _receivedStart;
    private int _receivedEnd;
    private byte[] _opened = [];
    private int _openedStart;
    private int _openedEnd;
    private bool _closeNotified;
    private int _keyUpdateAsked;

    internal TlsRecordStream(Stream inner, Tls13RecordProtection read, Tls13RecordProtection write)
    {
        _inner = inner;
        _collector = inner as CoalescingStream;
        _read = read;
        _write = write;
    }

    /// <summary>
    /// Takes <paramref name="tls"/>'s connection over, which must be idle (no read or write running, all
    /// it decrypted read), right after the CONNECT answer: null, with SslStream left as it was, when
    /// it is not TLS 1.3 with AES-GCM, its secrets are not known, or the last records each way do
    /// not open under them; <paramref name="why"/> then says which. <paramref name="ciphers"/> makes
    /// the AES-GCM of each key (null: .NET's). Once taken over, the stream is the transport's only
    /// writer (<see cref="CoalescingStream.SingleWriter"/>).
    /// </summary>
    public static TlsRecordStream? TryTakeOver(SslStream tls, CoalescingStream transport, RecordCipherFactory? ciphers, out string? why)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(transport);
        var secrets = TlsTrafficSecretsSource.Take(tls);
        if (secrets is null || !Tls13RecordProtection.Supports(secrets.CipherSuite))
        {
            why = secrets is null ? "the connection's TLS 1.3 traffic secrets are not known" : $"cipher suite 0x{secrets.CipherSuite:x4} is not AES-GCM";
            return null;
        }

        if (transport.LastRecordRead is not { } lastRead || transport.LastRecordWritten is not { } lastWritten)
        {
            why = "no record of the sign-in was seen";
            return null;
        }

        var suite = (Tls13CipherSuite)secrets.CipherSuite;
        var read = Tls13RecordProtection.Create(suite, secrets.ClientSecret, ciphers);
        var write = Tls13RecordProtection.Create(suite, secrets.ServerSecret, ciphers);
        Array.Clear(secrets.ClientSecret);
        Array.Clear(secrets.ServerSecret);
        if (read.FindSequence(lastRead, MaxSequenceSearched) is null || write.FindSequence(lastWritten, MaxSequenceSearched) is null)
        {
            read.Dispose();
            write.Dispose();
            why = "the last records do not open under the connection's secrets";
            return null;
        }

        why = null;
        transport.SingleWriter = true;
        return new TlsRecordStream(transport, read, write);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// The content of the client's next records, as much as fits; 0 at the client's close_notify or
    /// the connection's end. A zero-byte read waits for the client without holding a buffer.
    /// </summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (buffer.IsEmpty)
            {
                if (_openedEnd == _openedStart && !HasWholeRecord() && !_closeNotified)
                {
                    // A zero-byte read only waits; it returns no bytes.
                    _ = await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken);
                }

                return 0;
            }

            int n = TakeOpened(buffer.Span);
            n += OpenReceived(buffer.Span[n..]);
            if (n > 0 || _closeNotified)
            {
                return n;
            }

            if (_received.Length == 0)
            {
                _received = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            }

            int got = await _inner.ReadAsync(_received.AsMemory(_receivedEnd), cancellationToken);
            if (got == 0)
            {
                if (_receivedEnd > _receivedStart)
                {
                    throw new IOException("The connection closed inside a TLS record.");
                }

                return 0;
            }

            _receivedEnd += got;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Seals <paramref name="buffer"/> in one record (several beyond 16 KB), after a KeyUpdate when one is due.</summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _keyUpdateAsked, 0) == 1 || _write.Sequence >= RecordsPerKey)
        {
            // RFC 8446 §4.6.3: the answer to an update_requested goes before the next application data.
            await SealAndWriteAsync(TlsContentType.Handshake, new byte[] { HandshakeKeyUpdate, 0, 0, 1, 0 }, cancellationToken);
            _write.Update();
        }

        do
        {
            int length = Math.Min(buffer.Length, Tls13RecordProtection.MaxPlaintextLength);
            await SealAndWriteAsync(TlsContentType.ApplicationData, buffer[..length], cancellationToken);
            buffer = buffer[length..];
        }
        while (!buffer.IsEmpty);
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The buffers stay with a read that may still be running; the pool gets them back from the read side.
            _inner.Dispose();
            _read.Dispose();
            _write.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask SealAndWriteAsync(TlsContentType type, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (_collector is { } collector && collector.TryReserve(content.Length + Tls13RecordProtection.Overhead, out var room))
        {
            // Sealed where the collected records wait for the flush.
            collector.Commit(_write.Seal(type, content.Span, room));
            return;
        }

        byte[] record = ArrayPool<byte>.Shared.Rent(content.Length + Tls13RecordProtection.Overhead);
        try
        {
            int length = _write.Seal(type, content.Span, record);
            await _inner.WriteAsync(record.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }

    private bool HasWholeRecord() =>
        Tls13RecordProtection.TryReadHeader(_received.AsSpan(_receivedStart, _receivedEnd - _receivedStart), out _, out int bodyLength)
        && _receivedEnd - _receivedStart >= Tls13RecordProtection.HeaderLength + bodyLength;

    /// <summary>Content opened earlier that did not fit the caller's buffer then.</summary>
    private int TakeOpened(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _openedEnd - _openedStart);
        if (n == 0)
        {
            return 0;
        }

        _opened.AsSpan(_openedStart, n).CopyTo(destination);
        _openedStart += n;
        if (_openedStart == _openedEnd)
        {
            ArrayPool<byte>.Shared.Return(_opened);
            _opened = [];
            _openedStart = _openedEnd = 0;
        }

        return n;
    }

    /// <summary>Opens the whole records received, while their content fits <paramref name="destination"/> (the first one always).</summary>
    private int OpenReceived(Span<byte> destination)
    {
        int written = 0;
        while (_openedEnd == _openedStart && !_closeNotified && Tls13RecordProtection.TryReadHeader(_received.AsSpan(_receivedStart, _receivedEnd - _receivedStart), out _, out int bodyLength))
        {
            if (bodyLength > Tls13RecordProtection.MaxCiphertextLength)
            {
                throw new InvalidDataException($"A TLS record of {bodyLength} bytes is longer than {Tls13RecordProtection.MaxCiphertextLength}.");
            }

            int recordLength = Tls13RecordProtection.HeaderLength + bodyLength;
            if (_receivedEnd - _receivedStart < recordLength)
            {
                MakeRoom();
                break;
            }

            if (written > 0 && destination.Length - written < bodyLength)
            {
                break;
            }

            var record = _received.AsSpan(_receivedStart, recordLength);
            if (!_read.TryOpen(record, out var type, out var range))
            {
                throw new IOException($"A TLS record from the client (sequence number {_read.Sequence}) does not open under the connection's keys.");
            }

            _receivedStart += recordLength;
            written += Deliver(type, record[range], destination[written..]);
        }

        if (_receivedStart == _receivedEnd && _received.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_received);
            _received = [];
            _receivedStart = _receivedEnd = 0;
        }

        return written;
    }

    /// <summary>Hands an opened record's content on: application data to the caller (the rest kept), alerts and KeyUpdates acted on.</summary>
    private int Deliver(TlsContentType type, ReadOnlySpan<byte> content, Span<byte> destination)
    {
        switch (type)
        {
            case TlsContentType.ApplicationData:
                int n = Math.Min(content.Length, destination.Length);
                content[..n].CopyTo(destination);
                if (n < content.Length)
                {
                    _opened = ArrayPool<byte>.Shared.Rent(content.Length - n);
                    content[n..].CopyTo(_opened);
                    _openedStart = 0;
                    _openedEnd = content.Length - n;
                }

                return n;
            case TlsContentType.Alert when content.Length == 2 && content[1] == AlertCloseNotify:
                _closeNotified = true;
                return 0;
            case TlsContentType.Alert when content.Length == 2:
                throw new IOException($"The client sent TLS alert {content[1]}.");
            case TlsContentType.Handshake:
                ReadHandshake(content);
                return 0;
            default:
                throw new InvalidDataException($"A TLS record of type {(byte)type} after the handshake.");
        }
    }

    /// <summary>Post-handshake messages: only a KeyUpdate (RFC 8446 §4.6.3) is expected from a client that was not asked for anything.</summary>
    private void ReadHandshake(ReadOnlySpan<byte> messages)
    {
        while (!messages.IsEmpty)
        {
            if (messages.Length < 4)
            {
                throw new InvalidDataException("A TLS handshake message is cut short.");
            }

            int length = (messages[1] << 16) | BinaryPrimitives.ReadUInt16BigEndian(messages[2..]);
            if (messages[0] != HandshakeKeyUpdate || length != 1 || messages.Length < 5 || messages[4] > 1)
            {
                throw new InvalidDataException($"An unexpected TLS handshake message (type {messages[0]}, {length} bytes) after the handshake.");
            }

            _read.Update();
            if (messages[4] == 1)
            {
                Volatile.Write(ref _keyUpdateAsked, 1);
            }

            messages = messages[5..];
        }
    }

    /// <summary>Moves an incomplete record to the front of the buffer so that the rest of it fits behind.</summary>
    private void MakeRoom()
    {
        if (_receivedStart > 0)
        {
            _received.AsSpan(_receivedStart, _receivedEnd - _receivedStart).CopyTo(_received);
            _receivedEnd -= _receivedStart;
            _receivedStart = 0;
        }
    }
}
