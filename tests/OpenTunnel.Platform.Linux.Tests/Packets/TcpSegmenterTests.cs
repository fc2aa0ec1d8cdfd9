using System.Buffers.Binary;
using System.Net;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class TcpSegmenterTests
{
    private const byte Fin = 0x01;
    private const byte Psh = 0x08;
    private const byte Ack = 0x10;
    private const byte Cwr = 0x80;

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void WriteSegment_LargeSegment_CutIntoValidSegmentsThatCarryThePayloadInOrder(int version)
    {
        byte[] payload = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7)).ToArray();
        byte[] packet = Segment(version, payload, sequence: 0xFFFF_F000, flags: Ack | Psh | Fin | Cwr, identification: 0xFFFE);

        Assert.True(TcpSegmenter.TryPlan(packet, 1400, out int count, out int headerLength, out string? error), error);
        Assert.Equal(3, count);
        Assert.Equal(version == 4 ? 40 : 60, headerLength);

        var carried = new List<byte>();
        for (int i = 0; i < count; i++)
        {
            byte[] segment = new byte[1500];
            int length = TcpSegmenter.WriteSegment(packet, 1400, headerLength, i, segment);
            var s = segment.AsSpan(0, length);
            int ipLength = version == 4 ? 20 : 40;
            var tcp = s[ipLength..];
            if (version == 4)
            {
                Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(s[2..]));
                Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(s[4..]));
                Assert.True(InternetChecksum.IsValid(s[..20]), "IPv4 header checksum");
            }
            else
            {
                Assert.Equal(length - 40, BinaryPrimitives.ReadUInt16BigEndian(s[4..]));
            }

            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * 1400)), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            byte flags = tcp[13];
            Assert.Equal(i == count - 1, (flags & Fin) != 0);
            Assert.Equal(i == count - 1, (flags & Psh) != 0);
            Assert.Equal(i == 0, (flags & Cwr) != 0);
            Assert.True((flags & Ack) != 0);
            Assert.True(TcpChecksumValid(s, ipLength, version), $"TCP checksum of segment {i}");
            carried.AddRange(tcp[20..].ToArray());
        }

        Assert.Equal(payload, carried);
        Assert.Equal(-1, TcpSegmenter.WriteSegment(packet, 1400, headerLength, 0, new byte[1000]));
    }

    [Fact]
    public void TryPlan_NotTcp_RefusedWithAReason()
    {
        byte[] udp = Segment(4, new byte[100], 1, Ack, 1);
        udp[9] = 17;

        Assert.False(TcpSegmenter.TryPlan(udp, 1400, out _, out _, out string? error));
        Assert.Contains("not TCP", error, StringComparison.Ordinal);
        Assert.False(TcpSegmenter.TryPlan([0x55, 0, 0], 1400, out _, out _, out error));
        Assert.Contains("IP version 5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryFinishChecksum_PseudoHeaderSumInTheField_GivesTheFullChecksum()
    {
        byte[] packet = Segment(4, Enumerable.Range(0, 301).Select(i => (byte)i).ToArray(), 5, Ack, 9);
        ushort full = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(36));

        // What the kernel leaves with NEEDS_CSUM: the folded, uncomplemented pseudo-header sum.
        byte[] pseudo = [.. packet.AsSpan(12, 8), 0, 6, 0, 0];
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)(packet.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), (ushort)~InternetChecksum.Compute(pseudo));

        Assert.True(TcpSegmenter.TryFinishChecksum(packet, 20, 16));
        Assert.Equal(full, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(36)));
        Assert.False(TcpSegmenter.TryFinishChecksum(packet, packet.Length - 2, 16));
    }

    [Fact]
    public void InternetChecksum_PiecesOfEvenLength_SameAsOnePiece()
    {
        byte[] data = Enumerable.Range(0, 1001).Select(i => (byte)(i * 13 + 5)).ToArray();

        ulong pieces = InternetChecksum.Add(InternetChecksum.Add(InternetChecksum.Add(0, data.AsSpan(0, 6)), data.AsSpan(6, 402)), data.AsSpan(408));

        Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Finish(pieces));
        Assert.Equal(SlowChecksum(data), InternetChecksum.Compute(data));
    }

    // A TCP segment with valid checksums.
    private static byte[] Segment(int version, byte[] payload, uint sequence, byte flags, ushort identification)
    {
        int ipLength = version == 4 ? 20 : 40;
        byte[] packet = new byte[ipLength + 20 + payload.Length];
        var ip = packet.AsSpan();
        if (version == 4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], identification);
            ip[8] = 64;
            ip[9] = 6;
            IPAddress.Parse("198.18.2.10").TryWriteBytes(ip[12..], out _);
            IPAddress.Parse("198.18.128.2").TryWriteBytes(ip[16..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(packet.Length - 40));
            ip[6] = 6;
            ip[7] = 64;
            IPAddress.Parse("2001:db8:2::10").TryWriteBytes(ip[8..], out _);
            IPAddress.Parse("2001:db8:80::2").TryWriteBytes(ip[24..], out _);
        }

        var tcp = packet.AsSpan(ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 5201);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 40000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[20..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], SlowChecksum([.. Pseudo(packet, ipLength, version), .. tcp.ToArray()]));
        return packet;
    }

    private static bool TcpChecksumValid(ReadOnlySpan<byte> segment, int ipLength, int version) =>
        SlowChecksum([.. Pseudo(segment, ipLength, version), .. segment[ipLength..].ToArray()]) == 0;

    private static byte[] Pseudo(ReadOnlySpan<byte> packet, int ipLength, int version)
    {
        int tcpLength = packet.Length - ipLength;
        return version == 4
            ? [.. packet[12..20].ToArray(), 0, 6, (byte)(tcpLength >> 8), (byte)tcpLength]
            : [.. packet[8..40].ToArray(), 0, 0, (byte)(tcpLength >> 8), (byte)tcpLength, 0, 0, 0, 6];
    }

    // RFC 1071 word by word, independent of InternetChecksum.
    private static ushort SlowChecksum(byte[] data)
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
