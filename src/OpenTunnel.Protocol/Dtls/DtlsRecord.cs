using System.Buffers.Binary;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The DTLS 1.2 record header (RFC 6347 §4.1): content type (1), version (2), epoch (2),
/// sequence number (6), length (2). Pure reads over a datagram, with bounds checks; nothing here
/// trusts a length field before checking it against the bytes that really arrived.
/// </summary>
public static class DtlsRecord
{
    /// <summary>Bytes of the record header.</summary>
    public const int HeaderLength = 13;

    public const byte Alert = 21;
    public const byte Handshake = 22;
    public const byte ApplicationData = 23;

    /// <summary>DTLS 1.2 on the wire (RFC 6347 §4.1: 254.253).</summary>
    public const ushort VersionDtls12 = 0xFEFD;

    /// <summary>Byte offset of the ClientHello's session-id length byte in its first datagram: record header 13 + handshake header 12 + client_version 2 + random 32.</summary>
    public const int ClientHelloSessionIdOffset = HeaderLength + 12 + 2 + 32;

    /// <summary>True when <paramref name="datagram"/> starts with a whole DTLS record header whose length fits the datagram.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, out byte contentType, out ushort epoch, out ulong sequence, out int length)
    {
        if (datagram.Length < HeaderLength || datagram[1] != 0xFE)
        {
            contentType = 0;
            epoch = 0;
            sequence = 0;
            length = 0;
            return false;
        }

        contentType = datagram[0];
        epoch = BinaryPrimitives.ReadUInt16BigEndian(datagram[3..]);
        sequence = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(datagram[5..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(datagram[7..]);
        length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
        return HeaderLength + length <= datagram.Length;
    }

    /// <summary>
    /// Reads the session id of a ClientHello that starts the datagram: an epoch-0 handshake
    /// record holding the first fragment of a client_hello whose session id is exactly 32 bytes
    /// (openconnect resumes with the id from <c>X-DTLS-Session-ID</c>, gnutls-dtls.c). Anything
    /// else, including a truncated or lying record, returns false.
    /// </summary>
    public static bool TryReadClientHelloSessionId(ReadOnlySpan<byte> datagram, out DtlsSessionId sessionId)
    {
        sessionId = default;
        if (!TryReadHeader(datagram, out byte type, out ushort epoch, out _, out int length) ||
            type != Handshake || epoch != 0)
        {
            return false;
        }

        var record = datagram.Slice(HeaderLength, length);
        // Handshake header: msg_type (1) = client_hello, length (3), message_seq (2), fragment_offset (3), fragment_length (3).
        if (record.Length < 12 || record[0] != 1 || ReadUInt24(record[6..]) != 0)
        {
            return false;
        }

        int fragmentLength = ReadUInt24(record[9..]);
        int idOffset = ClientHelloSessionIdOffset - HeaderLength;
        if (fragmentLength > record.Length - 12 || 12 + fragmentLength < idOffset + 1 + DtlsSessionId.Length ||
            record[idOffset] != DtlsSessionId.Length)
        {
            return false;
        }

        sessionId = DtlsSessionId.FromBytes(record.Slice(idOffset + 1, DtlsSessionId.Length));
        return true;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
}
