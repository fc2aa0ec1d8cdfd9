using System.Buffers.Binary;
using System.Net;

namespace OpenTunnel.Gateway.Tests.DataPlane;

/// <summary>Minimal IP packets for data-plane tests (only the fields the gateway reads are meaningful).</summary>
internal static class TestPackets
{
    /// <summary>An IPv4 UDP-numbered packet from <paramref name="source"/> to <paramref name="destination"/> with <paramref name="payload"/> bytes after a 20-byte header.</summary>
    public static byte[] Ipv4(string source, string destination, int payload = 12)
    {
        byte[] packet = new byte[20 + payload];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12, 4), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16, 4), out _);
        for (int i = 20; i < packet.Length; i++)
        {
            packet[i] = (byte)i;
        }

        return packet;
    }
}
