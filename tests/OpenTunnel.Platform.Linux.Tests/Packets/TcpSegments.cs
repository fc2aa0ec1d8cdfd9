using System.Buffers.Binary;
using System.Net;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

/// <summary>TCP segments for the packet tests, built and checked without the code under test.</summary>
internal static class TcpSegments
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Cwr = 0x80;

    public const byte Rst = 0x04;

    /// <summary>The peer's port (a server on the gateway's side) and the client's port in <see cref="Build"/>'s segments.</summary>
    public const ushort PeerPort = 5201;

    public const ushort ClientPort = 40000;

    // A TCP segment with valid checksums, from the peer (198.18.2.10 / 2001:db8:2::10, port 5201) to the client
    // (198.18.128.2 / 2001:db8:80::2, port 40000), or the other way with fromClient.
    public static byte[] Build(int version, byte[] payload, uint sequence, byte flags, ushort identification, byte[]? options = null, ushort window = 65535, bool fromClient = false, uint acknowledgement = 0)
    {
        options ??= [];
        int ipLength = version == 4 ? 20 : 40;
        int tcpLength = 20 + options.Length;
        byte[] packet = new byte[ipLength + tcpLength + payload.Length];
        var ip = packet.AsSpan();
        if (version == 4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], identification);
            ip[8] = 64;
            ip[9] = 6;
            IPAddress.Parse("198.18.2.10").TryWriteBytes(ip[(fromClient ? 16 : 12)..], out _);
            IPAddress.Parse("198.18.128.2").TryWriteBytes(ip[(fromClient ? 12 : 16)..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(packet.Length - 40));
            ip[6] = 6;
            ip[7] = 64;
            IPAddress.Parse("2001:db8:2::10").TryWriteBytes(ip[(fromClient ? 24 : 8)..], out _);
            IPAddress.Parse("2001:db8:80::2").TryWriteBytes(ip[(fromClient ? 8 : 24)..], out _);
        }

        var tcp = packet.AsSpan(ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, fromClient ? ClientPort : PeerPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], fromClient ? PeerPort : ClientPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgement);
        tcp[12] = (byte)(tcpLength / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], window);
        options.CopyTo(tcp[20..]);
        payload.CopyTo(tcp[tcpLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], SlowChecksum([.. Pseudo(packet, ipLength, version), .. tcp.ToArray()]));
        return packet;
    }

    public static bool TcpChecksumValid(ReadOnlySpan<byte> segment, int ipLength, int version) =>
        SlowChecksum([.. Pseudo(segment, ipLength, version), .. segment[ipLength..].ToArray()]) == 0;

    private static byte[] Pseudo(ReadOnlySpan<byte> packet, int ipLength, int version)
    {
        int tcpLength = packet.Length - ipLength;
        return version == 4
            ? [.. packet[12..20].ToArray(), 0, 6, (byte)(tcpLength >> 8), (byte)tcpLength]
            : [.. packet[8..40].ToArray(), 0, 0, (byte)(tcpLength >> 8), (byte)tcpLength, 0, 0, 0, 6];
    }

    // RFC 1071 word by word, independent of InternetChecksum.
    public static ushort SlowChecksum(byte[] data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
