using System.Buffers.Binary;

namespace OpenTunnel.Protocol.Cstp;

/// <summary>
/// The 8-byte CSTP frame header over TLS: the magic <c>53 54 46 01</c> ("STF", version 1), the
/// payload length big-endian (header excluded), the packet type and a zero byte
/// (openconnect cstp.c <c>cstp_mainloop</c>; ocserv worker-vpn.c). Reads and writes spans only,
/// so framing allocates nothing.
/// </summary>
public static class CstpFrame
{
    public const int HeaderLength = 8;

    /// <summary>The largest payload the 16-bit length field can carry.</summary>
    public const int MaxPayloadLength = ushort.MaxValue;

    /// <summary>Writes the header for a payload of <paramref name="payloadLength"/> bytes into the first 8 bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, CstpPacketType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        destination[0] = (byte)'S';
        destination[1] = (byte)'T';
        destination[2] = (byte)'F';
        destination[3] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)payloadLength);
        destination[6] = (byte)type;
        destination[7] = 0;
    }

    /// <summary>
    /// Reads a frame header. <see cref="CstpHeaderStatus.Incomplete"/> when fewer than 8 bytes are
    /// present; <see cref="CstpHeaderStatus.BadMagic"/> when the bytes are not a CSTP header (the
    /// stream is then out of step and the connection has to end).
    /// </summary>
    public static CstpHeaderStatus TryReadHeader(ReadOnlySpan<byte> source, out CstpPacketType type, out int payloadLength)
    {
        type = default;
        payloadLength = 0;
        if (source.Length < HeaderLength)
        {
            return CstpHeaderStatus.Incomplete;
        }

        if (source[0] != (byte)'S' || source[1] != (byte)'T' || source[2] != (byte)'F' || source[3] != 1)
        {
            return CstpHeaderStatus.BadMagic;
        }

        payloadLength = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        type = (CstpPacketType)source[6];
        return CstpHeaderStatus.Complete;
    }
}

/// <summary>The outcome of reading a CSTP header.</summary>
public enum CstpHeaderStatus
{
    Complete,
    Incomplete,
    BadMagic,
}
