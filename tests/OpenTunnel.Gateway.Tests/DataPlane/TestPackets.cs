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

    /// <summary>An IPv4 TCP segment with ACK set and <paramref name="payload"/> bytes of data (checksums not set).</summary>
    public static byte[] Tcp(string source, string destination, uint sequence, ushort identification, int payload)
    {
        byte[] packet = Ipv4(source, destination, 20 + payload);
        packet[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
        var tcp = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 1);
        tcp[12] = 5 << 4;
        tcp[13] = 0x10;
        return packet;
    }

    /// <summary>An IPv4 TCP segment without data (checksums not set): a handshake or an acknowledgement with <paramref name="window"/>.</summary>
    public static byte[] TcpControl(string source, ushort sourcePort, string destination, ushort destinationPort, byte flags, ushort window, byte[]? options = null)
    {
        options ??= [];
        byte[] packet = Ipv4(source, destination, 20 + options.Length);
        packet[9] = 6;
        var tcp = packet.AsSpan(20);
        tcp.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], window);
        options.CopyTo(tcp[20..]);
        return packet;
    }
}
