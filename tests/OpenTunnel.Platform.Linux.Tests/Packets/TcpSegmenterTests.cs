using System.Buffers.Binary;
using OpenTunnel.Platform.Linux.Packets;
using static OpenTunnel.Platform.Linux.Tests.Packets.TcpSegments;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class TcpSegmenterTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void WriteSegment_LargeSegment_CutIntoValidSegmentsThatCarryThePayloadInOrder(int version)
    {
        byte[] payload = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7)).ToArray();
        byte[] packet = Build(version, payload, sequence: 0xFFFF_F000, flags: Ack | Psh | Fin | Cwr, identification: 0xFFFE);

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
        byte[] udp = Build(4, new byte[100], 1, Ack, 1);
        udp[9] = 17;

        Assert.False(TcpSegmenter.TryPlan(udp, 1400, out _, out _, out string? error));
        Assert.Contains("not TCP", error, StringComparison.Ordinal);
        Assert.False(TcpSegmenter.TryPlan([0x55, 0, 0], 1400, out _, out _, out error));
        Assert.Contains("IP version 5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryFinishChecksum_PseudoHeaderSumInTheField_GivesTheFullChecksum()
    {
        byte[] packet = Build(4, Enumerable.Range(0, 301).Select(i => (byte)i).ToArray(), 5, Ack, 9);
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
}
