using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Tls;

[Trait("Category", "Unit")]
public sealed class TlsPacketSinkTests
{
    [Fact]
    public async Task RunAsync_BurstOfSmallPackets_WritesEachFrameInItsOwnWrite()
    {
        // SslStream turns each write into one TLS record; openconnect drops a record holding two
        // frames, so a burst must never be merged into one write.
        var stream = new RecordingStream();
        var traffic = new SessionTraffic();
        var counters = new PacketCounters();
        var sink = new TlsPacketSink(stream, traffic, counters, TimeProvider.System, maxQueuedPackets: 1000);
        for (int i = 0; i < 200; i++)
        {
            byte[] packet = new byte[20 + (i % 5)];
            packet[0] = (byte)i;
            Assert.True(sink.TrySend(OutboundPacket.CopyOf(packet)));
        }

        sink.SendControl(CstpPacketType.DpdResponse, [1, 2, 3]);
        sink.Complete();
        await sink.RunAsync(CancellationToken.None);

        Assert.Equal(201, stream.Writes.Count);
        for (int i = 0; i < 200; i++)
        {
            byte[] write = stream.Writes[i];
            Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(write, out var type, out int length));
            Assert.Equal(CstpPacketType.Data, type);
            Assert.Equal(20 + (i % 5), length);
            Assert.Equal(CstpFrame.HeaderLength + length, write.Length);
            Assert.Equal((byte)i, write[CstpFrame.HeaderLength]);
        }

        Assert.Equal(new byte[] { 0x53, 0x54, 0x46, 0x01, 0, 3, 4, 0, 1, 2, 3 }, stream.Writes[200]);
        Assert.Equal(200, traffic.PacketsToClient);
        Assert.Equal(200, counters.PacketsToClients);
    }

    [Fact]
    public async Task Flush_WriterWaiting_WritesTheQueuedPacketsOnTheFlushingThreadBeforeItReturns()
    {
        var stream = new RecordingStream();
        var sink = new TlsPacketSink(stream, new SessionTraffic(), new PacketCounters(), TimeProvider.System, maxQueuedPackets: 100);
        var writer = sink.RunAsync(CancellationToken.None);

        Assert.True(sink.TrySend(OutboundPacket.CopyOf(new byte[40])));
        Assert.True(sink.TrySend(OutboundPacket.CopyOf(new byte[41])));
        Assert.Empty(stream.Writes);

        sink.Flush();

        // Written and flushed by the time Flush returned, without another thread.
        Assert.Equal(2, stream.Writes.Count);
        Assert.Equal(1, stream.Flushes);

        sink.SendControl(CstpPacketType.DpdResponse, [7]);
        Assert.Equal(3, stream.Writes.Count);
        Assert.Equal(2, stream.Flushes);

        sink.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsTheWaitingWriter()
    {
        using var cancellation = new CancellationTokenSource();
        var sink = new TlsPacketSink(new RecordingStream(), new SessionTraffic(), new PacketCounters(), TimeProvider.System, maxQueuedPackets: 100);
        var writer = sink.RunAsync(cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void TrySend_QueueFull_DropsDataButNotControlFrames()
    {
        var sink = new TlsPacketSink(new RecordingStream(), new SessionTraffic(), new PacketCounters(), TimeProvider.System, maxQueuedPackets: 16);
        int accepted = 0;
        for (int i = 0; i < 20; i++)
        {
            if (sink.TrySend(OutboundPacket.CopyOf(new byte[40])))
            {
                accepted++;
            }
        }

        sink.SendControl(CstpPacketType.Terminate, []);

        Assert.Equal(16, accepted);
    }
}
