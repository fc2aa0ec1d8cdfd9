using System.Buffers.Binary;
using OpenTunnel.Platform.Linux.Packets;
using static OpenTunnel.Platform.Linux.Tests.Packets.TcpSegments;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class TcpWindowClampTests
{
    private const int Limit = 256 * 1024;

    /// <summary>A window-scale option (after a no-operation, as Linux sends it).</summary>
    private static byte[] Scale(byte shift) => [1, 3, 3, shift];

    private static ushort Window(byte[] packet, int version) => BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan((version == 4 ? 20 : 40) + 14));

    /// <summary>A clamp that saw the flow's handshake: the client's SYN with <paramref name="clientScale"/>, the peer's SYN-ACK with <paramref name="peerScale"/>.</summary>
    private static TcpWindowClamp Handshaken(int version, byte clientScale, byte? peerScale)
    {
        var clamp = new TcpWindowClamp();
        Assert.False(clamp.FromClient(Build(version, [], 1, Syn, 1, Scale(clientScale), fromClient: true), new FixedLimit(Limit)));
        clamp.ToClient(Build(version, [], 9, Syn | Ack, 2, peerScale is { } shift ? Scale(shift) : null));
        return clamp;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void FromClient_AcknowledgementOverTheLimit_WindowLoweredAndChecksumStillValid(int version)
    {
        var clamp = Handshaken(version, clientScale: 7, peerScale: 7);
        byte[] ack = Build(version, [], 2, Ack, 3, window: 40000, fromClient: true);

        Assert.True(clamp.FromClient(ack, new FixedLimit(Limit)));

        Assert.Equal(Limit >> 7, Window(ack, version));
        Assert.True(TcpChecksumValid(ack, version == 4 ? 20 : 40, version));
    }

    [Fact]
    public void FromClient_WindowUnderTheLimit_Unchanged()
    {
        var clamp = Handshaken(4, clientScale: 7, peerScale: 7);
        byte[] ack = Build(4, [], 2, Ack, 3, window: 1000, fromClient: true);
        byte[] before = [.. ack];

        Assert.False(clamp.FromClient(ack, new FixedLimit(Limit)));

        Assert.Equal(before, ack);
    }

    [Fact]
    public void FromClient_PeerAnnouncedNoScale_Unchanged()
    {
        // Scaling is in force only when both SYNs announce it: the field counts plain bytes then.
        var clamp = Handshaken(4, clientScale: 7, peerScale: null);
        byte[] ack = Build(4, [], 2, Ack, 3, window: 65535, fromClient: true);

        Assert.False(clamp.FromClient(ack, new FixedLimit(1024)));
        Assert.Equal(65535, Window(ack, 4));
    }

    [Fact]
    public void FromClient_FlowWhoseHandshakeItMissed_Unchanged()
    {
        var clamp = new TcpWindowClamp();
        byte[] ack = Build(4, [], 2, Ack, 3, window: 65535, fromClient: true);

        Assert.False(clamp.FromClient(ack, new FixedLimit(Limit)));
        Assert.Equal(0, clamp.Count);
    }

    [Fact]
    public void FromClient_NoLimit_LearnsButLeavesTheWindow()
    {
        var clamp = Handshaken(4, clientScale: 7, peerScale: 7);
        byte[] ack = Build(4, [], 2, Ack, 3, window: 65535, fromClient: true);

        Assert.False(clamp.FromClient(ack, null));
        clamp.FromClient(ack, null);

        Assert.Equal(65535, Window(ack, 4));
        Assert.Equal(1, clamp.Count);
    }

    [Fact]
    public void FromClient_ScaleOverFourteen_CountsAsFourteen()
    {
        var clamp = Handshaken(4, clientScale: 20, peerScale: 7);
        byte[] ack = Build(4, [], 2, Ack, 3, window: 65535, fromClient: true);

        Assert.True(clamp.FromClient(ack, new FixedLimit(1 << 20)));

        Assert.Equal(1 << 20 >> 14, Window(ack, 4));
    }

    [Fact]
    public void FromClient_LimitUnderOneUnit_LeavesOneUnit()
    {
        var clamp = Handshaken(4, clientScale: 14, peerScale: 7);
        byte[] ack = Build(4, [], 2, Ack, 3, window: 100, fromClient: true);

        Assert.True(clamp.FromClient(ack, new FixedLimit(1000)));

        Assert.Equal(1, Window(ack, 4));
    }

    [Theory]
    [InlineData(Rst, true)]
    [InlineData(Fin | Ack, true)]
    [InlineData(Rst, false)]
    public void ResetOrFinish_ForgetsTheFlow(byte flags, bool fromClient)
    {
        var clamp = Handshaken(4, clientScale: 7, peerScale: 7);
        byte[] end = Build(4, [], 2, flags, 3, fromClient: fromClient);
        if (fromClient)
        {
            clamp.FromClient(end, null);
        }
        else
        {
            clamp.ToClient(end);
        }

        byte[] ack = Build(4, [], 3, Ack, 4, window: 65535, fromClient: true);
        Assert.False(clamp.FromClient(ack, new FixedLimit(Limit)));
        Assert.Equal(0, clamp.Count);
    }

    [Fact]
    public void NewSyn_StartsTheFlowAfresh()
    {
        // The same ports again: the peer of the new connection has not announced a scale yet.
        var clamp = Handshaken(4, clientScale: 7, peerScale: 7);
        clamp.FromClient(Build(4, [], 100, Syn, 5, Scale(7), fromClient: true), null);

        Assert.False(clamp.FromClient(Build(4, [], 101, Ack, 6, window: 65535, fromClient: true), new FixedLimit(Limit)));
    }

    [Fact]
    public void FullTable_OldestFlowMakesRoom()
    {
        var clamp = Handshaken(4, clientScale: 7, peerScale: 7);
        for (int i = 1; i <= TcpWindowClamp.Capacity; i++)
        {
            byte[] syn = Build(4, [], 1, Syn, 1, Scale(7), fromClient: true);
            BinaryPrimitives.WriteUInt16BigEndian(syn.AsSpan(20), (ushort)(ClientPort + i));
            clamp.FromClient(syn, null);
        }

        Assert.Equal(TcpWindowClamp.Capacity, clamp.Count);
        Assert.False(clamp.FromClient(Build(4, [], 2, Ack, 3, window: 65535, fromClient: true), new FixedLimit(Limit)));
    }

    [Fact]
    public void FragmentedDatagram_Ignored()
    {
        var clamp = new TcpWindowClamp();
        byte[] syn = Build(4, [], 1, Syn, 1, Scale(7), fromClient: true);
        syn[6] = 0x20; // more fragments

        clamp.FromClient(syn, null);

        Assert.Equal(0, clamp.Count);
        Assert.False(TcpWindowClamp.OpensFlow(syn));
    }

    [Fact]
    public void MalformedOptions_NoScaleTrusted()
    {
        var clamp = new TcpWindowClamp();
        // An option whose length runs past the header, then what would be a scale.
        clamp.FromClient(Build(4, [], 1, Syn, 1, [8, 40, 3, 3], fromClient: true), null);
        clamp.ToClient(Build(4, [], 9, Syn | Ack, 2, Scale(7)));

        Assert.False(clamp.FromClient(Build(4, [], 2, Ack, 3, window: 65535, fromClient: true), new FixedLimit(Limit)));
    }

    [Fact]
    public void OpensFlow_TrueOnlyForSyn()
    {
        Assert.True(TcpWindowClamp.OpensFlow(Build(6, [], 1, Syn, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.OpensFlow(Build(6, [], 1, Ack, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.OpensFlow([0x45, 0, 0]));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void IsBareAcknowledgement_OnlyForATcpSegmentWithoutDataSynFinOrRst(int version)
    {
        Assert.True(TcpWindowClamp.IsBareAcknowledgement(Build(version, [], 1, Ack, 1, fromClient: true)));
        Assert.True(TcpWindowClamp.IsBareAcknowledgement(Build(version, [], 1, Ack, 1, [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], fromClient: true)));
        Assert.False(TcpWindowClamp.IsBareAcknowledgement(Build(version, [1, 2, 3], 1, Ack | Psh, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.IsBareAcknowledgement(Build(version, [], 1, Syn, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.IsBareAcknowledgement(Build(version, [], 1, Fin | Ack, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.IsBareAcknowledgement(Build(version, [], 1, Rst, 1, fromClient: true)));
        Assert.False(TcpWindowClamp.IsBareAcknowledgement([0x45, 0, 0]));
    }

    private sealed record FixedLimit(int Bytes) : IWindowLimit;
}
