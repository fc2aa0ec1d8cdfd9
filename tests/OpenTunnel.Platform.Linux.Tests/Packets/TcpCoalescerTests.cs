using System.Buffers.Binary;
using OpenTunnel.Platform.Linux.Packets;
using static OpenTunnel.Platform.Linux.Tests.Packets.TcpSegments;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class TcpCoalescerTests
{
    private const int Size = 1380;

    // A TCP timestamp option (NOP, NOP, kind 8, length 10) as Linux sends it.
    private static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0];

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Finish_ConsecutiveSegments_OneSegmentTheKernelCutsBackIntoTheSameSegments(int version)
    {
        var segments = Run(version, count: 4, lastPayload: 700, lastFlags: Ack | Psh);
        var coalescer = new TcpCoalescer();

        Assert.True(coalescer.TryStart(segments[0]));
        foreach (byte[] segment in segments.Skip(1))
        {
            Assert.True(coalescer.TryAppend(segment));
        }

        Assert.Equal(4, coalescer.Count);
        byte[] joined = coalescer.Finish(out var header).ToArray();
        int ipLength = version == 4 ? 20 : 40;
        int headerLength = ipLength + 20 + Timestamps.Length;
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, (ushort)headerLength, Size, (ushort)ipLength, 16), header);
        Assert.Equal(headerLength + 3 * Size + 700, joined.Length);
        if (version == 4)
        {
            Assert.True(InternetChecksum.IsValid(joined.AsSpan(0, 20)), "IPv4 header checksum");
        }

        // What the kernel does with it: finish the checksum, cut at the segment size.
        Assert.True(TcpSegmenter.TryFinishChecksum(joined, header.ChecksumStart, header.ChecksumOffset));
        Assert.True(TcpChecksumValid(joined, ipLength, version), "the finished checksum of the joined segment");
        Assert.True(TcpSegmenter.TryPlan(joined, header.GsoSize, out int count, out int planned, out string? error), error);
        Assert.Equal(4, count);
        Assert.Equal(headerLength, planned);
        for (int i = 0; i < count; i++)
        {
            byte[] cut = new byte[1500];
            int length = TcpSegmenter.WriteSegment(joined, header.GsoSize, planned, i, cut);
            Assert.Equal(segments[i], cut.AsSpan(0, length).ToArray());
        }

        coalescer.Clear();
        Assert.Equal(0, coalescer.Count);
    }

    [Fact]
    public void Finish_OneSegment_AsItCameWithAnEmptyHeader()
    {
        byte[] segment = Build(4, new byte[Size], 1000, Ack, 7, Timestamps);
        var coalescer = new TcpCoalescer();

        Assert.True(coalescer.TryStart(segment));

        Assert.Equal(segment, coalescer.Finish(out var header).ToArray());
        Assert.Equal(default, header);
    }

    [Fact]
    public void TryAppend_ShortSegmentOrPsh_EndsTheRun()
    {
        byte[] first = Build(4, new byte[Size], 1000, Ack, 7, Timestamps);
        var coalescer = new TcpCoalescer();
        Assert.True(coalescer.TryStart(first));

        Assert.True(coalescer.TryAppend(Build(4, new byte[100], 1000 + Size, Ack, 8, Timestamps)));
        Assert.False(coalescer.TryAppend(Build(4, new byte[Size], 1000 + Size + 100, Ack, 9, Timestamps)));

        coalescer.Clear();
        Assert.True(coalescer.TryStart(first));
        Assert.True(coalescer.TryAppend(Build(4, new byte[Size], 1000 + Size, Ack | Psh, 8, Timestamps)));
        Assert.False(coalescer.TryAppend(Build(4, new byte[Size], 1000 + 2 * Size, Ack, 9, Timestamps)));
        Assert.Equal(Ack | Psh, coalescer.Finish(out _)[33]);
    }

    public static TheoryData<string, Func<byte[], byte[]>> Breaks => new()
    {
        { "a gap in the sequence", s => Build(4, new byte[Size], 1000 + 2 * Size, Ack, 8, Timestamps) },
        { "a repeated segment", s => Build(4, new byte[Size], 1000, Ack, 8, Timestamps) },
        { "another IPv4 identification", s => Build(4, new byte[Size], 1000 + Size, Ack, 9, Timestamps) },
        { "another acknowledgement", s => With(s, 20 + 8, 0x55) },
        { "other TCP options", s => With(s, 20 + 20 + 7, 0x55) },
        { "another source port", s => With(s, 20 + 1, 0x55) },
        { "another destination address", s => With(s, 19, 0x55) },
        { "another TTL", s => With(s, 8, 63) },
        { "a FIN", s => With(s, 33, Ack | Fin) },
        { "no ACK", s => With(s, 33, 0) },
        { "a longer payload", s => Build(4, new byte[Size + 1], 1000 + Size, Ack, 8, Timestamps) },
        { "no payload (a bare acknowledgement)", s => Build(4, [], 1000 + Size, Ack, 8, Timestamps) },
        { "an IPv6 packet", s => Build(6, new byte[Size], 1000 + Size, Ack, 8, Timestamps) },
    };

    [Theory]
    [MemberData(nameof(Breaks))]
    public void TryAppend_SegmentTheKernelWouldNotCutBackTheSame_Refused(string what, Func<byte[], byte[]> change)
    {
        byte[] first = Build(4, new byte[Size], 1000, Ack, 7, Timestamps);
        byte[] next = change(Build(4, new byte[Size], 1000 + Size, Ack, 8, Timestamps));
        var coalescer = new TcpCoalescer();
        Assert.True(coalescer.TryStart(first));

        Assert.False(coalescer.TryAppend(next), what);
        Assert.Equal(1, coalescer.Count);
    }

    [Fact]
    public void TryStart_NotAJoinableSegment_Refused()
    {
        var coalescer = new TcpCoalescer();
        byte[] udp = Build(4, new byte[100], 1, Ack, 1);
        udp[9] = 17;
        byte[] fragment = Build(4, new byte[100], 1, Ack, 1);
        fragment[6] = 0x20; // more fragments

        Assert.False(coalescer.TryStart(udp));
        Assert.False(coalescer.TryStart(fragment));
        Assert.False(coalescer.TryStart(Build(4, new byte[10], 1, Syn, 1)));
        Assert.False(coalescer.TryStart(Build(4, new byte[10], 1, Ack | Psh, 1)));
        Assert.False(coalescer.TryStart([0x45, 0, 0]));
        Assert.Equal(0, coalescer.Count);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void TryAppend_BareAckOfTheSameFlowAcknowledgingMore_ReplacesTheHeldOne(int version)
    {
        var coalescer = new TcpCoalescer();
        Assert.True(coalescer.TryStart(BareAck(version, 0xFFFF_F000)));

        byte[] newer = BareAck(version, 0x0000_0100, identification: 8, window: 1000); // across the wrap
        Assert.True(coalescer.TryAppend(newer));
        Assert.True(coalescer.TryAppend(BareAck(version, 0x0000_0200, identification: 9)));

        Assert.Equal(1, coalescer.Count);
        Assert.Equal(BareAck(version, 0x0000_0200, identification: 9), coalescer.Finish(out var header).ToArray());
        Assert.Equal(default, header);
    }

    public static TheoryData<string, byte[]> AcksThatStay => new()
    {
        { "a duplicate (the same number)", BareAck(4, 5000, identification: 8) },
        { "an older one", BareAck(4, 4000, identification: 8) },
        { "a window update with the same number", BareAck(4, 5000, identification: 8, window: 1000) },
        { "SACK blocks", BareAck(4, 6000, identification: 8, options: [1, 1, 5, 10, 0, 0, 0x20, 0, 0, 0, 0x30, 0]) },
        { "another flow", With(BareAck(4, 6000, identification: 8), 20 + 1, 0x55) },
        { "data", Build(4, new byte[100], 1000, Ack, 8, Timestamps, acknowledgement: 6000, fromClient: true) },
        { "a FIN", Build(4, [], 1000, Ack | Fin, 8, Timestamps, acknowledgement: 6000, fromClient: true) },
        { "an IPv6 one", BareAck(6, 6000, identification: 8) },
    };

    [Theory]
    [MemberData(nameof(AcksThatStay))]
    public void TryAppend_HeldBareAck_WhatDoesNotSupersedeIt_Refused(string what, byte[] next)
    {
        byte[] first = BareAck(4, 5000);
        var coalescer = new TcpCoalescer();
        Assert.True(coalescer.TryStart(first));

        Assert.False(coalescer.TryAppend(next), what);
        Assert.Equal(first, coalescer.Finish(out _).ToArray());
    }

    [Fact]
    public void TryStartAndTryAppend_BareAcksAndDataRuns_NeitherJoinsTheOther()
    {
        var coalescer = new TcpCoalescer();
        Assert.False(coalescer.TryStart(BareAck(4, 5000, options: [1, 1, 5, 10, 0, 0, 0x20, 0, 0, 0, 0x30, 0])));
        Assert.True(coalescer.TryStart(Build(4, new byte[Size], 1000, Ack, 7, Timestamps)));
        Assert.False(coalescer.TryAppend(BareAck(4, 5000, identification: 8)));
        Assert.Equal(1, coalescer.Count);
    }

    [Fact]
    public void TryAppend_Beyond64KB_Refused()
    {
        var coalescer = new TcpCoalescer();
        int size = 16_000;
        Assert.True(coalescer.TryStart(Build(4, new byte[size], 0, Ack, 0)));
        for (int i = 1; i < 4; i++)
        {
            Assert.True(coalescer.TryAppend(Build(4, new byte[size], (uint)(i * size), Ack, (ushort)i)));
        }

        Assert.False(coalescer.TryAppend(Build(4, new byte[size], (uint)(4 * size), Ack, 4)));
        Assert.Equal(40 + 4 * size, coalescer.Finish(out _).Length);
    }

    // A client's bare acknowledgement of acknowledgement bytes, with Linux's timestamps unless other options are given.
    private static byte[] BareAck(int version, uint acknowledgement, ushort identification = 7, ushort window = 500, byte[]? options = null) =>
        Build(version, [], 1000, Ack, identification, options ?? Timestamps, window, fromClient: true, acknowledgement: acknowledgement);

    // count segments of one flow, the last with lastPayload bytes and lastFlags; payload bytes differ.
    private static List<byte[]> Run(int version, int count, int lastPayload, byte lastFlags)
    {
        var segments = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            bool last = i == count - 1;
            byte[] payload = Enumerable.Range(0, last ? lastPayload : Size).Select(b => (byte)(b * 3 + i)).ToArray();
            segments.Add(Build(version, payload, unchecked(0xFFFF_FA00u + (uint)(i * Size)), last ? lastFlags : Ack, (ushort)(0xFFFE + i), Timestamps));
        }

        return segments;
    }

    private static byte[] With(byte[] packet, int offset, byte value)
    {
        byte[] changed = packet.ToArray();
        changed[offset] = value;
        if (BinaryPrimitives.ReadUInt16BigEndian(changed) >> 12 == 4)
        {
            changed[10] = 0;
            changed[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(changed.AsSpan(10), InternetChecksum.Compute(changed.AsSpan(0, 20)));
        }

        return changed;
    }
}
