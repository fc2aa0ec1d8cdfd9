using System.Buffers.Binary;

namespace OpenTunnel.Bench.Load.Protocol;

/// <summary>The CSTP packet types a client meets on the TLS channel (openconnect cstp.c, ocserv worker-vpn.c).</summary>
internal enum CstpType : byte
{
    Data = 0x00,
    DpdRequest = 0x03,
    DpdResponse = 0x04,
    Disconnect = 0x05,
    Keepalive = 0x07,
    Compressed = 0x08,
    Terminate = 0x09,
}

/// <summary>
/// The 8-byte CSTP header: "STF", version 1, payload length (big-endian, header excluded), type, 0.
/// openconnect expects exactly one frame per TLS record, so callers write each frame with one write.
/// </summary>
internal static class CstpFrame
{
    public const int HeaderLength = 8;

    /// <summary>The largest payload the 16-bit length field can carry.</summary>
    public const int MaxPayloadLength = ushort.MaxValue;

    /// <summary>Writes a header for <paramref name="payloadLength"/> bytes of <paramref name="type"/> into <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, CstpType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        destination[0] = (byte)'S';
        destination[1] = (byte)'T';
        destination[2] = (byte)'F';
        destination[3] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)payloadLength);
        destination[6] = (byte)type;
        destination[7] = 0x00;
    }

    /// <summary>
    /// Reads a header. False when the magic or version is wrong: the stream is then out of step
    /// and the session cannot continue (openconnect drops the connection in the same case).
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out CstpType type, out int payloadLength)
    {
        type = default;
        payloadLength = 0;
        if (header.Length < HeaderLength || header[0] != 'S' || header[1] != 'T' || header[2] != 'F' || header[3] != 0x01)
        {
            return false;
        }

        payloadLength = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        type = (CstpType)header[6];
        return true;
    }
}
