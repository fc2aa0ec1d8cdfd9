using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Protocol.Tls;

/// <summary>The content types of TLS records (RFC 8446 §5.1).</summary>
public enum TlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
}

/// <summary>The TLS 1.3 cipher suites whose records <see cref="Tls13RecordProtection"/> protects.</summary>
public enum Tls13CipherSuite : ushort
{
    Aes128GcmSha256 = 0x1301,
    Aes256GcmSha384 = 0x1302,
}

/// <summary>
/// One direction of an established TLS 1.3 connection's record layer with AES-GCM (RFC 8446
/// §5.2–5.3, §7.1–7.3): from the direction's application traffic secret it derives the key and
/// the IV, seals or opens each record under the next sequence number, and moves to the next
/// generation of the secret for a KeyUpdate. A record is header (5: type 23, version 0x0303,
/// length) ‖ AES-GCM of (content ‖ real content type ‖ zero padding) ‖ tag (16); the nonce is
/// the IV XOR the 64-bit sequence number, the additional data the header. One caller at a time.
/// </summary>
public sealed class Tls13RecordProtection : IDisposable
{
    /// <summary>The record header: type, legacy version, length.</summary>
    public const int HeaderLength = 5;

    /// <summary>The GCM tag.</summary>
    public const int TagLength = 16;

    /// <summary>The largest content of one record (2^14).</summary>
    public const int MaxPlaintextLength = 16 * 1024;

    /// <summary>The largest encrypted body a peer may send (2^14 + 256).</summary>
    public const int MaxCiphertextLength = MaxPlaintextLength + 256;

    /// <summary>What a sealed record adds to its content: the header, the content type and the tag.</summary>
    public const int Overhead = HeaderLength + 1 + TagLength;

    private const int IvLength = 12;
    private const ushort LegacyVersion = 0x0303;

    private readonly RecordCipherFactory _cipherFactory;
    private readonly HashAlgorithmName _hash;
    private readonly int _keyLength;
    private readonly byte[] _iv = new byte[IvLength];
    private byte[] _secret;
    private IRecordCipher _cipher;

    private Tls13RecordProtection(RecordCipherFactory cipherFactory, Tls13CipherSuite suite, ReadOnlySpan<byte> trafficSecret)
    {
        (_hash, _keyLength) = suite switch
        {
            Tls13CipherSuite.Aes128GcmSha256 => (HashAlgorithmName.SHA256, 16),
            Tls13CipherSuite.Aes256GcmSha384 => (HashAlgorithmName.SHA384, 32),
            _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "Only the TLS 1.3 AES-GCM suites are supported."),
        };
        int hashLength = _hash == HashAlgorithmName.SHA256 ? 32 : 48;
        if (trafficSecret.Length != hashLength)
        {
            throw new ArgumentException($"A traffic secret of {suite} is {hashLength} bytes; got {trafficSecret.Length}.", nameof(trafficSecret));
        }

        _cipherFactory = cipherFactory;
        _secret = trafficSecret.ToArray();
        _cipher = Derive(_secret);
    }

    /// <summary>The sequence number of the next record.</summary>
    public ulong Sequence { get; private set; }

    /// <summary>Whether <paramref name="suite"/> (an IANA cipher suite number) is one this class protects.</summary>
    public static bool Supports(ushort suite) => suite is (ushort)Tls13CipherSuite.Aes128GcmSha256 or (ushort)Tls13CipherSuite.Aes256GcmSha384;

    /// <summary>The record layer of one direction from its application traffic secret.</summary>
    /// <param name="suite">The connection's cipher suite.</param>
    /// <param name="trafficSecret">The direction's application traffic secret.</param>
    /// <param name="ciphers">Makes the AES-GCM of each key (default <see cref="DotNetRecordCipher.Create"/>).</param>
    /// <exception cref="ArgumentException">The secret's length does not fit the suite's hash.</exception>
    public static Tls13RecordProtection Create(Tls13CipherSuite suite, ReadOnlySpan<byte> trafficSecret, RecordCipherFactory? ciphers = null) =>
        new(ciphers ?? DotNetRecordCipher.Create, suite, trafficSecret);

    /// <summary>Reads a record header: its type and the length of its body. False when fewer than five bytes are there.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, out TlsContentType type, out int bodyLength)
    {
        if (bytes.Length < HeaderLength)
        {
            type = default;
            bodyLength = 0;
            return false;
        }

        type = (TlsContentType)bytes[0];
        bodyLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[3..]);
        return true;
    }

    /// <summary>
    /// Seals <paramref name="content"/> (at most <see cref="MaxPlaintextLength"/> bytes) as a record of
    /// <paramref name="type"/> into <paramref name="record"/>, which needs <see cref="Overhead"/> bytes
    /// more; returns the record's length. <paramref name="content"/> may start at
    /// <paramref name="record"/>[<see cref="HeaderLength"/>..], the place its ciphertext goes.
    /// </summary>
    public int Seal(TlsContentType type, ReadOnlySpan<byte> content, Span<byte> record)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(content.Length, MaxPlaintextLength);
        int innerLength = content.Length + 1;
        int recordLength = HeaderLength + innerLength + TagLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(record.Length, recordLength);

        var body = record.Slice(HeaderLength, innerLength);
        content.CopyTo(body);
        body[^1] = (byte)type;
        WriteHeader(record, innerLength + TagLength);
        Span<byte> nonce = stackalloc byte[IvLength];
        NextNonce(nonce);
        _cipher.Seal(nonce, body, body, record.Slice(HeaderLength + innerLength, TagLength), record[..HeaderLength]);
        return recordLength;
    }

    /// <summary>
    /// Opens the whole record <paramref name="record"/> in place under the next sequence number:
    /// its real content type and where its content lies in <paramref name="record"/>. False, the
    /// sequence number unchanged and the record's bytes spoilt, when it does not open (a forged or corrupted record, or one
    /// sealed under other keys or another sequence number).
    /// </summary>
    public bool TryOpen(Span<byte> record, out TlsContentType type, out Range content)
    {
        type = default;
        content = default;
        if (!TryReadHeader(record, out var outerType, out int bodyLength) || outerType != TlsContentType.ApplicationData
            || bodyLength < 1 + TagLength || bodyLength > MaxCiphertextLength || record.Length != HeaderLength + bodyLength)
        {
            return false;
        }

        var body = record.Slice(HeaderLength, bodyLength - TagLength);
        Span<byte> nonce = stackalloc byte[IvLength];
        NonceFor(Sequence, nonce);
        if (!_cipher.TryOpen(nonce, body, record.Slice(HeaderLength + body.Length, TagLength), body, record[..HeaderLength]))
        {
            return false;
        }

        // The real type is the last byte that is not padding; a record of padding alone is not allowed.
        int end = body.LastIndexOfAnyExcept((byte)0);
        if (end < 0)
        {
            return false;
        }

        Sequence++;
        type = (TlsContentType)body[end];
        content = new Range(HeaderLength, HeaderLength + end);
        return true;
    }

    /// <summary>
    /// The sequence number below <paramref name="limit"/> that <paramref name="record"/> (left
    /// untouched) was sealed under, or null: for a record sent before this side took over a
    /// connection, whose count it does not know. The next record then has the number after it.
    /// </summary>
    public ulong? FindSequence(ReadOnlySpan<byte> record, ulong limit)
    {
        byte[] copy = new byte[record.Length];
        for (ulong sequence = 0; sequence < limit; sequence++)
        {
            record.CopyTo(copy);
            Sequence = sequence;
            if (TryOpen(copy, out _, out _))
            {
                return sequence;
            }
        }

        Sequence = 0;
        return null;
    }

    /// <summary>Moves to the next generation of the traffic secret (a KeyUpdate, RFC 8446 §7.2); the sequence starts at 0.</summary>
    public void Update()
    {
        byte[] next = ExpandLabel(_hash, _secret, "traffic upd", _secret.Length);
        var cipher = Derive(next);
        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
        _secret = next;
        _cipher = cipher;
        Sequence = 0;
    }

    public void Dispose()
    {
        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
    }

    /// <summary>HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.</summary>
    private static byte[] ExpandLabel(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, int length)
    {
        int labelLength = Encoding.ASCII.GetByteCount(label) + 6;
        byte[] info = new byte[2 + 1 + labelLength + 1];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)labelLength;
        Encoding.ASCII.GetBytes("tls13 " + label, info.AsSpan(3));
        byte[] output = new byte[length];
        HKDF.Expand(hash, secret, output, info);
        return output;
    }

    private IRecordCipher Derive(byte[] secret)
    {
        byte[] key = ExpandLabel(_hash, secret, "key", _keyLength);
        try
        {
            ExpandLabel(_hash, secret, "iv", IvLength).CopyTo(_iv, 0);
            return _cipherFactory(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static void WriteHeader(Span<byte> record, int bodyLength)
    {
        record[0] = (byte)TlsContentType.ApplicationData;
        BinaryPrimitives.WriteUInt16BigEndian(record[1..], LegacyVersion);
        BinaryPrimitives.WriteUInt16BigEndian(record[3..], (ushort)bodyLength);
    }

    private void NextNonce(Span<byte> nonce)
    {
        if (Sequence == ulong.MaxValue)
        {
            throw new InvalidOperationException("The TLS sequence number is exhausted; the keys must be updated first.");
        }

        NonceFor(Sequence++, nonce);
    }

    private void NonceFor(ulong sequence, Span<byte> nonce)
    {
        _iv.CopyTo(nonce);
        ulong tail = BinaryPrimitives.ReadUInt64BigEndian(nonce[4..]) ^ sequence;
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], tail);
    }
}
