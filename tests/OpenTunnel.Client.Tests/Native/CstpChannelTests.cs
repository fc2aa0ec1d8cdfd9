using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Client.Native;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Streams;
using OpenTunnel.Testing;

namespace OpenTunnel.Client.Tests.Native;

[Trait("Category", "Unit")]
public sealed class CstpChannelTests
{
    [Fact]
    public async Task Run_DataAndDpdRequest_DeliversThePacketAndEchoesTheDpdPayload()
    {
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, Frame(CstpPacketType.Data, [0x45, 1, 2]), TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System);
        var delivered = new List<byte[]>();
        using var stop = new CancellationTokenSource();
        Task<ChannelEnd> running = channel.RunAsync(p => delivered.Add(p.ToArray()), stop.Token);

        await gateway.WriteAsync(Frame(CstpPacketType.DpdRequest, [9, 8, 7]));
        var (type, payload) = await ReadFrameAsync(gateway);

        Assert.Equal(CstpPacketType.DpdResponse, type);
        Assert.Equal([9, 8, 7], payload);
        Assert.Equal([0x45, 1, 2], Assert.Single(delivered));
        await stop.CancelAsync();
        Assert.Equal(ChannelEnd.Stopped, await running);
    }

    [Fact]
    public async Task Send_ABatchOfPackets_WritesEachFrameOnItsOwn_FlushesOnce_CountsThemAndEmptiesTheBatch()
    {
        var stream = new RecordingStream();
        using var channel = new CstpChannel(stream, [], TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System);
        var batch = new CstpFrameBatch();
        new byte[] { 0x45, 0, 0, 4 }.CopyTo(batch.NextPacket);
        batch.Commit(4);
        new byte[] { 0x45, 0, 0, 5, 9 }.CopyTo(batch.NextPacket);
        batch.Commit(5);

        await channel.SendAsync(batch, CancellationToken.None);

        // One write per frame: each becomes one TLS record, as ocserv requires.
        Assert.Equal([Frame(CstpPacketType.Data, [0x45, 0, 0, 4]), Frame(CstpPacketType.Data, [0x45, 0, 0, 5, 9])], stream.Writes);
        Assert.Equal(1, stream.Flushes);
        Assert.Equal((2, 9), (channel.PacketsOut, channel.BytesOut));
        Assert.Equal(0, batch.Packets);
    }

    [Fact]
    public async Task Disconnect_SendsReasonUserAsOpenConnectDoes()
    {
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System);

        await channel.DisconnectAsync(CancellationToken.None);

        var (type, payload) = await ReadFrameAsync(gateway);
        Assert.Equal(CstpPacketType.Disconnect, type);
        Assert.Equal(0xB0, payload[0]);
    }

    [Theory]
    [InlineData(CstpPacketType.Disconnect, ChannelEnd.ServerDisconnected)]
    [InlineData(CstpPacketType.Terminate, ChannelEnd.ServerTerminated)]
    public async Task Run_GatewayLeaves_EndsWithItsReason(CstpPacketType sent, ChannelEnd expected)
    {
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System);
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, CancellationToken.None);

        await gateway.WriteAsync(Frame(sent, [0xB0]));

        Assert.Equal(expected, await running.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Run_ConnectionCloses_EndsWithLinkLost()
    {
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System);
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, CancellationToken.None);

        await gateway.DisposeAsync();

        Assert.Equal(ChannelEnd.LinkLost, await running.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Run_SilentGateway_ProbesAtDpdAndDeclaresItDeadAtTwice()
    {
        var time = new FakeTimeProvider();
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.FromSeconds(30), TimeSpan.Zero, time);
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, CancellationToken.None);

        await AdvanceAsync(time, TimeSpan.FromSeconds(30));
        var (type, _) = await ReadFrameAsync(gateway);
        Assert.Equal(CstpPacketType.DpdRequest, type);
        Assert.False(running.IsCompleted);

        await AdvanceAsync(time, TimeSpan.FromSeconds(30));
        Assert.Equal(ChannelEnd.PeerDead, await running.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Run_LinkDiesMidUpload_DeclaresThePeerDeadWhileAPacketWaitsForTheLink()
    {
        // The gateway side never reads: the pipe fills (as a TCP send buffer does when the path is
        // gone) and a packet's write waits, holding the write gate.
        var time = new FakeTimeProvider();
        var (client, _) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20), time);
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, CancellationToken.None);
        var batch = new CstpFrameBatch();
        ValueTask write;
        do
        {
            batch.Commit(1400);
            write = channel.SendAsync(batch, CancellationToken.None);
        }
        while (write.IsCompleted);

        await AdvanceAsync(time, TimeSpan.FromSeconds(60));

        Assert.Equal(ChannelEnd.PeerDead, await running.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(write.IsCompleted);
    }

    [Fact]
    public async Task Run_DpdAnswered_MeasuresTheRoundTripAndStaysUp()
    {
        var time = new FakeTimeProvider();
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.FromSeconds(30), TimeSpan.Zero, time);
        using var stop = new CancellationTokenSource();
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, stop.Token);

        await AdvanceAsync(time, TimeSpan.FromSeconds(30));
        _ = await ReadFrameAsync(gateway);
        time.Advance(TimeSpan.FromMilliseconds(40));
        await gateway.WriteAsync(Frame(CstpPacketType.DpdResponse, []));
        for (int i = 0; i < 100 && channel.LastRoundTrip is null; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(TimeSpan.FromMilliseconds(40), channel.LastRoundTrip);
        await AdvanceAsync(time, TimeSpan.FromSeconds(29));
        Assert.False(running.IsCompleted);
        await stop.CancelAsync();
        Assert.Equal(ChannelEnd.Stopped, await running);
    }

    [Fact]
    public async Task Run_NothingSent_SendsAKeepaliveAtTheInterval()
    {
        var time = new FakeTimeProvider();
        var (client, gateway) = InMemoryDuplexStream.CreatePair();
        using var channel = new CstpChannel(client, [], TimeSpan.Zero, TimeSpan.FromSeconds(20), time);
        using var stop = new CancellationTokenSource();
        Task<ChannelEnd> running = channel.RunAsync(_ => { }, stop.Token);

        await AdvanceAsync(time, TimeSpan.FromSeconds(20));
        var (type, payload) = await ReadFrameAsync(gateway);

        Assert.Equal((CstpPacketType.Keepalive, 0), (type, payload.Length));
        await stop.CancelAsync();
        await running;
    }

    /// <summary>Moves the fake clock a second at a time, letting the timer loop run in between.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by)
    {
        for (var moved = TimeSpan.Zero; moved < by; moved += TimeSpan.FromSeconds(1))
        {
            await Task.Delay(5);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        await Task.Delay(20);
    }

    private static byte[] Frame(CstpPacketType type, byte[] payload)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + payload.Length];
        CstpFrame.WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame, CstpFrame.HeaderLength);
        return frame;
    }

    private static async Task<(CstpPacketType Type, byte[] Payload)> ReadFrameAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        byte[] header = new byte[CstpFrame.HeaderLength];
        await stream.ReadExactlyAsync(header, timeout.Token);
        Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(header, out var type, out int length));
        byte[] payload = new byte[length];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        return (type, payload);
    }
}
