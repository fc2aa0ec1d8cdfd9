using System.Buffers.Binary;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>The one's-complement Internet checksum of RFC 1071, as IPv4, ICMP, TCP and UDP use it.</summary>
public static class InternetChecksum
{
    /// <summary>
    /// The checksum of <paramref name="data"/>: write it into the checksum field (zeroed first) in
    /// network byte order. Computing it over data that already carries a correct checksum gives 0.
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>True when <paramref name="data"/> (checksum field included) sums to the all-ones value.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Compute(data) == 0;
}
