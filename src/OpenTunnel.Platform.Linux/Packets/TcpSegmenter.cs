using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// Cuts a large TCP segment (IPv4 or IPv6 without extension headers) into segments of at most
/// <c>segmentSize</c> payload bytes, as a network card's TCP segmentation offload would: each
/// gets the headers of the original with its own length, IPv4 identification (+1 per segment),
/// sequence number and checksums; FIN and PSH stay on the last segment only, CWR on the first
/// only. Also finishes a checksum the kernel left partial. Pure: no system calls, no allocation.
/// </summary>
public static class TcpSegmenter
{

    /// <summary>
    /// How many segments <paramref name="packet"/> makes with <paramref name="segmentSize"/>, and
    /// the length of its IP and TCP headers; false (and a reason) when it is not a TCP segment this
    /// can cut.
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> packet, int segmentSize, out int segments, out int headerLength, out string? error)
    {
        segments = 0;
        headerLength = 0;
        if (segmentSize < 1)
        {
            error = "a segment size of 0";
            return false;
        }

        if (!TryHeaders(packet, out int ipLength, out error))
        {
            return false;
        }

        if (packet.Length < ipLength + 20)
        {
            error = "no room for a TCP header";
            return false;
        }

        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        headerLength = ipLength + tcpLength;
        if (tcpLength < 20 || packet.Length < headerLength)
        {
            error = $"a TCP header length of {tcpLength}";
            return false;
        }

        int payload = packet.Length - headerLength;
        segments = Math.Max(1, (payload + segmentSize - 1) / segmentSize);
        error = null;
        return true;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> (of the plan from <see cref="TryPlan"/>) into
    /// <paramref name="destination"/> and returns its length; -1 when it does not fit.
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, int segmentSize, int headerLength, int index, Span<byte> destination)
    {
        int payload = packet.Length - headerLength;
        int offset = index * segmentSize;
        int chunk = Math.Min(segmentSize, payload - offset);
        int length = headerLength + chunk;
        if (chunk < 0 || length > destination.Length)
        {
            return -1;
        }

        packet[..headerLength].CopyTo(destination);
        packet.Slice(headerLength + offset, chunk).CopyTo(destination[headerLength..]);
        var segment = destination[..length];
        bool last = offset + chunk >= payload;
        bool v4 = packet[0] >> 4 == 4;
        int ipLength = v4 ? (packet[0] & 0x0F) * 4 : IpPacket.Ipv6HeaderLength;
        if (v4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + index));
            segment[10] = 0;
            segment[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], InternetChecksum.Compute(segment[..ipLength]));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(length - ipLength));
        }

        var tcp = segment[ipLength..];
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], BinaryPrimitives.ReadUInt32BigEndian(packet[(ipLength + 4)..]) + (uint)offset);
        if (!last)
        {
            tcp[13] &= unchecked((byte)~(TcpHeader.FlagFin | TcpHeader.FlagPsh));
        }

        if (index > 0)
        {
            tcp[13] &= unchecked((byte)~TcpHeader.FlagCwr);
        }

        tcp[16] = 0;
        tcp[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TcpChecksum(segment, ipLength, v4));
        return length;
    }

    /// <summary>
    /// Finishes a checksum the kernel left partial (<see cref="VirtioNetHeader.NeedsChecksum"/>):
    /// the field at <paramref name="start"/> + <paramref name="offset"/> holds the pseudo-header sum,
    /// and the sum of everything from <paramref name="start"/> on goes there. False when the place
    /// lies outside the packet.
    /// </summary>
    public static bool TryFinishChecksum(Span<byte> packet, int start, int offset)
    {
        if (start + offset + 2 > packet.Length || (start & 1) != 0)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet[(start + offset)..], InternetChecksum.Compute(packet[start..]));
        return true;
    }

    private static bool TryHeaders(ReadOnlySpan<byte> packet, out int ipLength, out string? error)
    {
        ipLength = 0;
        if (packet.IsEmpty)
        {
            error = "an empty packet";
            return false;
        }

        switch (packet[0] >> 4)
        {
            case 4:
                ipLength = (packet[0] & 0x0F) * 4;
                if (ipLength < 20 || packet.Length < ipLength || packet[9] != TcpHeader.Protocol)
                {
                    error = "an IPv4 packet that is not TCP";
                    return false;
                }

                break;
            case 6:
                ipLength = IpPacket.Ipv6HeaderLength;
                if (packet.Length < ipLength || packet[6] != TcpHeader.Protocol)
                {
                    error = "an IPv6 packet that is not TCP right after its header";
                    return false;
                }

                break;
            default:
                error = $"IP version {packet[0] >> 4}";
                return false;
        }

        error = null;
        return true;
    }

    private static ushort TcpChecksum(ReadOnlySpan<byte> segment, int ipLength, bool v4) =>
        InternetChecksum.Finish(InternetChecksum.Add(PseudoHeaderSum(segment, ipLength, v4, segment.Length - ipLength), segment[ipLength..]));

    /// <summary>The running sum of the TCP pseudo-header (addresses, protocol, TCP length) of <paramref name="packet"/>.</summary>
    internal static ulong PseudoHeaderSum(ReadOnlySpan<byte> packet, int ipLength, bool v4, int tcpLength)
    {
        Span<byte> pseudo = stackalloc byte[40];
        int pseudoLength;
        if (v4)
        {
            packet[12..20].CopyTo(pseudo);
            pseudo[8] = 0;
            pseudo[9] = TcpHeader.Protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcpLength);
            pseudoLength = 12;
        }
        else
        {
            packet[8..40].CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)tcpLength);
            pseudo[36] = 0;
            pseudo[37] = 0;
            pseudo[38] = 0;
            pseudo[39] = TcpHeader.Protocol;
            pseudoLength = 40;
        }

        return InternetChecksum.Add(0, pseudo[..pseudoLength]);
    }
}
