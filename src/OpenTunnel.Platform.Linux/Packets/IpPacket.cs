using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// Reads the fields of IPv4 (RFC 791) and IPv6 (RFC 8200) headers that routing decisions need,
/// straight from the packet bytes and without allocating. Addresses stay in network byte order
/// integers so they can be compared and used as keys on the data path.
/// </summary>
public static class IpPacket
{
    public const int Ipv4MinHeaderLength = 20;
    public const int Ipv6HeaderLength = 40;

    /// <summary>The IP version nibble, or 0 for an empty packet.</summary>
    public static int Version(ReadOnlySpan<byte> packet) => packet.IsEmpty ? 0 : packet[0] >> 4;

    /// <summary>
    /// Parses an IPv4 header. False when the packet is not IPv4, is shorter than its header, or
    /// its total-length field disagrees with the bytes present.
    /// </summary>
    /// <summary>True when an IPv4 packet (of 8 bytes at least) is a fragment (more fragments follow, or an offset): only a whole datagram carries its transport header as it is.</summary>
    public static bool IsIpv4Fragment(ReadOnlySpan<byte> packet) => (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0;

    public static bool TryReadIpv4(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Length < Ipv4MinHeaderLength || packet[0] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < Ipv4MinHeaderLength || totalLength < headerLength || totalLength > packet.Length)
        {
            return false;
        }

        header = new Ipv4Header(
            headerLength,
            totalLength,
            packet[8],
            packet[9],
            BinaryPrimitives.ReadUInt32BigEndian(packet[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[16..]));
        return true;
    }

    /// <summary>
    /// Parses the fixed IPv6 header. False when the packet is not IPv6 or is shorter than the
    /// header plus its payload-length field.
    /// </summary>
    public static bool TryReadIpv6(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Length < Ipv6HeaderLength || packet[0] >> 4 != 6)
        {
            return false;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (Ipv6HeaderLength + payloadLength > packet.Length)
        {
            return false;
        }

        header = new Ipv6Header(
            payloadLength,
            packet[6],
            packet[7],
            Ipv6Number.Read(packet[8..]),
            Ipv6Number.Read(packet[24..]));
        return true;
    }
}

/// <summary>The fields of an IPv4 header; addresses as big-endian-read integers (198.18.1.2 = 0xC6120102).</summary>
public readonly record struct Ipv4Header(int HeaderLength, int TotalLength, byte TimeToLive, byte Protocol, uint Source, uint Destination);

/// <summary>The fields of an IPv6 fixed header; addresses as <see cref="Ipv6Number"/>s.</summary>
public readonly record struct Ipv6Header(int PayloadLength, byte NextHeader, byte HopLimit, Ipv6Number Source, Ipv6Number Destination);
