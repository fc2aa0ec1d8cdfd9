using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>Why <see cref="DtlsRecordProtection.Open"/> refused a record.</summary>
public enum DtlsOpenResult
{
    Ok,

    /// <summary>Not a whole DTLS 1.2 record, or too short to hold a nonce and a tag.</summary>
    Malformed,

    /// <summary>An epoch other than the connection's (a stray handshake record, or another connection's).</summary>
    WrongEpoch,

    /// <summary>Already received, or older than the replay window.</summary>
    Replayed,

    /// <summary>The GCM tag did not verify: corrupted, forged, or encrypted under other keys.</summary>
    AuthenticationFailed,
}

/// <summary>
/// The DTLS 1.2 AES-GCM record layer (RFC 5288, RFC 6347) of one established connection, done
/// with an <see cref="IRecordCipher"/> (.NET's <see cref="AesGcm"/> unless the caller gives
/// another) once BouncyCastle has finished the handshake: it is faster than BouncyCastle's record
/// layer and allocates nothing per record. A record is
/// header (13) ‖ explicit nonce (8: epoch ‖ sequence, as GnuTLS and OpenSSL send it) ‖
/// ciphertext ‖ tag (16); the GCM nonce is the 4-byte fixed IV ‖ explicit nonce and the
/// additional data is epoch ‖ sequence ‖ type ‖ version ‖ plaintext length.
/// Sealing and opening may run on two threads at once; each of them must be serialised by the
/// caller (one sender lock, one receiver).
/// </summary>
public sealed class DtlsRecordProtection : IDisposable
{
    /// <summary>Explicit nonce bytes in each record.</summary>
    public const int ExplicitNonceLength = 8;

    /// <summary>GCM tag bytes in each record.</summary>
    public const int TagLength = 16;

    /// <summary>Bytes a record adds to its plaintext: header, explicit nonce and tag (37, GnuTLS's estimate for DTLS 1.2 AES-GCM; the MTU arithmetic of <c>TunnelMtu</c> counts on it).</summary>
    public const int Overhead = DtlsRecord.HeaderLength + ExplicitNonceLength + TagLength;

    /// <summary>The largest plaintext one record can carry: its 16-bit length field counts the explicit nonce, the text and the tag.</summary>
    public const int MaxPlaintextLength = ushort.MaxValue - ExplicitNonceLength - TagLength;

    /// <summary>The epoch the first handshake switches to (RFC 6347 §4.1: it starts at 0 and a ChangeCipherSpec adds one).</summary>
    public const ushort EstablishedEpoch = 1;

    /// <summary>
    /// Sequence number of the first record either side seals itself after BouncyCastle's
    /// handshake: above every epoch-1 record BouncyCastle sent (its Finished and any
    /// retransmissions of it), so the peer never sees a sequence number twice.
    /// </summary>
    public const ulong FirstSequenceAfterHandshake = 1UL << 16;

    /// <summary>The last sequence number DTLS allows (48 bits); a connection that reaches it must handshake again.</summary>
    public const ulong MaxSequence = (1UL << 48) - 1;

    // 16 M records (over 20 GB of full-size packets) lost in a row is not a rebinding client.
    private const ulong MaxForwardJump = 1UL << 24;

    private const int FixedIvLength = 4;
    private const int AdditionalDataLength = 13;

    private readonly IRecordCipher _readCipher;
    private readonly IRecordCipher _writeCipher;
    private readonly uint _readIv;
    private readonly uint _writeIv;
    private ulong _nextWriteSequence;
    private ReplayWindow _window;

    /// <summary>Builds the record layer from the two directions' keys and fixed IVs.</summary>
    /// <param name="readKey">Key of the records this side receives.</param>
    /// <param name="readIv">4-byte fixed IV of the records this side receives.</param>
    /// <param name="writeKey">Key of the records this side sends.</param>
    /// <param name="writeIv">4-byte fixed IV of the records this side sends.</param>
    /// <param name="epoch">The epoch the handshake switched to (1 after the first handshake).</param>
    /// <param name="firstWriteSequence">Sequence number of the first record this side sends.</param>
    /// <param name="ciphers">Makes the AES-GCM of each key (default <see cref="DotNetRecordCipher.Create"/>).</param>
    public DtlsRecordProtection(ReadOnlySpan<byte> readKey, ReadOnlySpan<byte> readIv, ReadOnlySpan<byte> writeKey, ReadOnlySpan<byte> writeIv, ushort epoch, ulong firstWriteSequence, RecordCipherFactory? ciphers = null)
    {
        if (readIv.Length != FixedIvLength || writeIv.Length != FixedIvLength)
        {
            throw new ArgumentException($"The AES-GCM fixed IV of DTLS 1.2 is {FixedIvLength} bytes.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstWriteSequence, MaxSequence);
        ciphers ??= DotNetRecordCipher.Create;
        _readCipher = ciphers(readKey);
        try
        {
            _writeCipher = ciphers(writeKey);
        }
        catch
        {
            _readCipher.Dispose();
            throw;
        }

        _readIv = BinaryPrimitives.ReadUInt32BigEndian(readIv);
        _writeIv = BinaryPrimitives.ReadUInt32BigEndian(writeIv);
        Epoch = epoch;
        _nextWriteSequence = firstWriteSequence;
    }

    /// <summary>The epoch of every record sent and accepted.</summary>
    public ushort Epoch { get; }

    /// <summary>
    /// The server side from a TLS 1.2 key block (RFC 5246 §6.3, no MAC keys for AEAD):
    /// client write key ‖ server write key ‖ client fixed IV ‖ server fixed IV.
    /// </summary>
    public static DtlsRecordProtection ForServer(ReadOnlySpan<byte> keyBlock, int keyLength, ushort epoch, ulong firstWriteSequence, RecordCipherFactory? ciphers = null) =>
        FromKeyBlock(keyBlock, keyLength, epoch, firstWriteSequence, server: true, ciphers);

    /// <summary>The client side from the same key block: it reads with the server's key and IV and writes with its own.</summary>
    public static DtlsRecordProtection ForClient(ReadOnlySpan<byte> keyBlock, int keyLength, ushort epoch, ulong firstWriteSequence, RecordCipherFactory? ciphers = null) =>
        FromKeyBlock(keyBlock, keyLength, epoch, firstWriteSequence, server: false, ciphers);

    /// <summary>Length of the TLS 1.2 key block an AES-GCM suite with <paramref name="keyLength"/>-byte keys needs.</summary>
    public static int KeyBlockLength(int keyLength) => (2 * keyLength) + (2 * FixedIvLength);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> as one record of <paramref name="contentType"/> into
    /// <paramref name="destination"/> and returns the record's length.
    /// </summary>
    /// <exception cref="ArgumentException">The plaintext is longer than <see cref="MaxPlaintextLength"/>, or the destination is smaller than the plaintext plus <see cref="Overhead"/>.</exception>
    /// <exception cref="InvalidOperationException">The 48-bit sequence space is used up.</exception>
    public int Seal(byte contentType, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (plaintext.Length > MaxPlaintextLength)
        {
            throw new ArgumentException($"A DTLS record carries at most {MaxPlaintextLength} plaintext bytes (its length field is 16 bits); got {plaintext.Length}.", nameof(plaintext));
        }

        int recordLength = plaintext.Length + Overhead;
        if (destination.Length < recordLength)
        {
            throw new ArgumentException($"A record of {plaintext.Length} plaintext bytes needs {recordLength} bytes of room; got {destination.Length}.", nameof(destination));
        }

        ulong sequence = _nextWriteSequence;
        if (sequence > MaxSequence)
        {
            throw new InvalidOperationException("The DTLS sequence numbers of this connection are used up; it must handshake again.");
        }

        _nextWriteSequence = sequence + 1;
        ulong epochAndSequence = ((ulong)Epoch << 48) | sequence;

        destination[0] = contentType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], DtlsRecord.VersionDtls12);
        BinaryPrimitives.WriteUInt64BigEndian(destination[3..], epochAndSequence);
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..], (ushort)(recordLength - DtlsRecord.HeaderLength));
        BinaryPrimitives.WriteUInt64BigEndian(destination[DtlsRecord.HeaderLength..], epochAndSequence);

        Span<byte> nonce = stackalloc byte[FixedIvLength + ExplicitNonceLength];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _writeIv);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[FixedIvLength..], epochAndSequence);
        Span<byte> additionalData = stackalloc byte[AdditionalDataLength];
        WriteAdditionalData(additionalData, epochAndSequence, contentType, plaintext.Length);

        int cipherOffset = DtlsRecord.HeaderLength + ExplicitNonceLength;
        _writeCipher.Seal(
            nonce,
            plaintext,
            destination.Slice(cipherOffset, plaintext.Length),
            destination.Slice(cipherOffset + plaintext.Length, TagLength),
            additionalData);
        return recordLength;
    }

    /// <summary>
    /// Checks and decrypts one whole record (exactly <paramref name="record"/>, header included)
    /// into <paramref name="plaintext"/>. The replay window moves only when the record
    /// authenticates, so a failed attempt (for example trying a datagram from an unknown address
    /// against this connection's keys) changes nothing.
    /// </summary>
    public DtlsOpenResult Open(ReadOnlySpan<byte> record, Span<byte> plaintext, out byte contentType, out int plaintextLength)
    {
        plaintextLength = 0;
        if (!DtlsRecord.TryReadHeader(record, out contentType, out ushort epoch, out ulong sequence, out int length) ||
            length < ExplicitNonceLength + TagLength || DtlsRecord.HeaderLength + length != record.Length ||
            BinaryPrimitives.ReadUInt16BigEndian(record[1..]) != DtlsRecord.VersionDtls12)
        {
            return DtlsOpenResult.Malformed;
        }

        if (epoch != Epoch)
        {
            return DtlsOpenResult.WrongEpoch;
        }

        if (!_window.IsFresh(sequence))
        {
            return DtlsOpenResult.Replayed;
        }

        int textLength = length - ExplicitNonceLength - TagLength;
        if (plaintext.Length < textLength)
        {
            return DtlsOpenResult.Malformed;
        }

        Span<byte> nonce = stackalloc byte[FixedIvLength + ExplicitNonceLength];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _readIv);
        record.Slice(DtlsRecord.HeaderLength, ExplicitNonceLength).CopyTo(nonce[FixedIvLength..]);
        Span<byte> additionalData = stackalloc byte[AdditionalDataLength];
        WriteAdditionalData(additionalData, ((ulong)epoch << 48) | sequence, contentType, textLength);

        int cipherOffset = DtlsRecord.HeaderLength + ExplicitNonceLength;
        if (!_readCipher.TryOpen(
            nonce,
            record.Slice(cipherOffset, textLength),
            record.Slice(cipherOffset + textLength, TagLength),
            plaintext[..textLength],
            additionalData))
        {
            return DtlsOpenResult.AuthenticationFailed;
        }

        _window.Accept(sequence);
        plaintextLength = textLength;
        return DtlsOpenResult.Ok;
    }

    /// <summary>
    /// A cheap test, before any decryption, of whether a record with this epoch and sequence
    /// number could come from this connection's peer: same epoch, fresh, and not implausibly far
    /// ahead. Used to narrow the channels tried for a datagram from an unknown address.
    /// </summary>
    public bool CouldBeNext(ushort epoch, ulong sequence) =>
        epoch == Epoch && _window.IsFresh(sequence) && (sequence <= _window.Highest || sequence - _window.Highest <= MaxForwardJump);

    public void Dispose()
    {
        _readCipher.Dispose();
        _writeCipher.Dispose();
    }

    private static DtlsRecordProtection FromKeyBlock(ReadOnlySpan<byte> keyBlock, int keyLength, ushort epoch, ulong firstWriteSequence, bool server, RecordCipherFactory? ciphers)
    {
        if (keyBlock.Length != KeyBlockLength(keyLength))
        {
            throw new ArgumentException($"An AES-GCM key block for {keyLength}-byte keys is {KeyBlockLength(keyLength)} bytes; got {keyBlock.Length}.", nameof(keyBlock));
        }

        var clientKey = keyBlock[..keyLength];
        var serverKey = keyBlock.Slice(keyLength, keyLength);
        var clientIv = keyBlock.Slice(2 * keyLength, FixedIvLength);
        var serverIv = keyBlock.Slice((2 * keyLength) + FixedIvLength, FixedIvLength);
        return server
            ? new DtlsRecordProtection(clientKey, clientIv, serverKey, serverIv, epoch, firstWriteSequence, ciphers)
            : new DtlsRecordProtection(serverKey, serverIv, clientKey, clientIv, epoch, firstWriteSequence, ciphers);
    }

    private static void WriteAdditionalData(Span<byte> additionalData, ulong epochAndSequence, byte contentType, int plaintextLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(additionalData, epochAndSequence);
        additionalData[8] = contentType;
        BinaryPrimitives.WriteUInt16BigEndian(additionalData[9..], DtlsRecord.VersionDtls12);
        BinaryPrimitives.WriteUInt16BigEndian(additionalData[11..], (ushort)plaintextLength);
    }
}
