using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The 32-byte DTLS session id the gateway hands out in <c>X-DTLS-Session-ID</c> (64 hex
/// digits; openconnect refuses the whole CONNECT for any other length, cstp.c) and which the
/// client's ClientHello carries back to name its CSTP session. A value type of four words, so
/// looking one up in a dictionary on the receive path allocates nothing.
/// </summary>
public readonly struct DtlsSessionId : IEquatable<DtlsSessionId>
{
    /// <summary>Length of a session id in bytes.</summary>
    public const int Length = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private DtlsSessionId(ReadOnlySpan<byte> bytes)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>A new session id from the cryptographic random number generator.</summary>
    public static DtlsSessionId NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return new DtlsSessionId(bytes);
    }

    /// <summary>The session id made of exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 32 bytes long.</exception>
    public static DtlsSessionId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A DTLS session id is {Length} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return new DtlsSessionId(bytes);
    }

    /// <summary>Reads the 64 hex digits of an <c>X-DTLS-Session-ID</c> header; false for anything else.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out DtlsSessionId sessionId)
    {
        sessionId = default;
        Span<byte> bytes = stackalloc byte[Length];
        if (hex.Length != 2 * Length || Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }

        sessionId = new DtlsSessionId(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes as a new array (for BouncyCastle's session APIs).</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>64 lower-case hex digits: the value of the <c>X-DTLS-Session-ID</c> header (ocserv prints <c>%.2x</c>).</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public override string ToString() => ToHex();

    public bool Equals(DtlsSessionId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is DtlsSessionId other && Equals(other);

    // The id is random: any of its words is already a good hash.
    public override int GetHashCode() => (int)(_a ^ (_a >> 32));

    public static bool operator ==(DtlsSessionId left, DtlsSessionId right) => left.Equals(right);

    public static bool operator !=(DtlsSessionId left, DtlsSessionId right) => !left.Equals(right);
}
