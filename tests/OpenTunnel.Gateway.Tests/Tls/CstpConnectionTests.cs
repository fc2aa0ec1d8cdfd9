using System.Net;
using OpenTunnel.Gateway.Tests.Connections;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Streams;

namespace OpenTunnel.Gateway.Tests.Tls;

/// <summary>A CSTP connection over an in-memory stream (no TLS: the framing is the same inside it).</summary>
[Trait("Category", "Unit")]
public sealed class CstpConnectionTests : IDisposable
{
    private readonly InMemoryDuplexStream _client;
    private readonly InMemoryDuplexStream _server;
    private readonly ConnectionReader _reader;
    private readonly RecordingInbound _inbound = new();
    private readonly PacketCounters _counters = new();
    private readonly CstpConnection _connection;

    public CstpConnectionTests()
    {
        (_client, _server) = InMemoryDuplexStream.CreatePair();
        _reader = new ConnectionReader(_server);
        _connection = Connect(_reader);
    }

    public void Dispose()
    {
        _reader.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task RunAsync_DataFrame_HandsThePacketToTheSessionThenSaysItIsIdle()
    {
        var running = _connection.RunAsync();

        await SendAsync(CstpPacketType.Data, [0x45, 1, 2, 3]);
        await ClientConnectionTests.WaitUntilAsync(() => _inbound.Events.Count == 3);
        await SendAsync(CstpPacketType.Disconnect, [0xB0]);

        Assert.Equal("the client disconnected", await running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["received", "packet 4", "idle", "received"], _inbound.Events);
        Assert.True(_connection.ClientDisconnected);
    }

    [Fact]
    public async Task RunAsync_SessionFailsOnAPacket_StillSaysItIsIdle_SoWhatThePacketStartedIsFinished()
    {
        _inbound.FailOnPacket = true;
        var running = _connection.RunAsync();

        await SendAsync(CstpPacketType.Data, [0x45, 1, 2, 3]);

        Assert.Equal("out of step: the session failed on a packet", await running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["received", "packet 4", "idle"], _inbound.Events);
    }

    [Fact]
    public async Task RunAsync_DpdRequest_AnsweredWithTheSamePayload()
    {
        var running = _connection.RunAsync();
        byte[] probe = [.. Enumerable.Range(0, 1300).Select(i => (byte)i)];

        await SendAsync(CstpPacketType.DpdRequest, probe);
        var (type, payload) = await ReadFrameAsync();

        Assert.Equal(CstpPacketType.DpdResponse, type);
        Assert.Equal(probe, payload);
        _connection.Close("test over");
        Assert.Equal("test over", await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_BadMagic_EndsOutOfStep()
    {
        var running = _connection.RunAsync();

        await _client.WriteAsync(new byte[] { 1, 2, 3, 4, 0, 0, 0, 0 });
        await _client.FlushAsync();

        Assert.StartsWith("out of step: ", await running.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        Assert.False(_connection.ClientDisconnected);
    }

    [Fact]
    public async Task RunAsync_UnexpectedFrameType_DroppedAndCounted()
    {
        var running = _connection.RunAsync();

        await SendAsync(CstpPacketType.Compressed, [1, 2]);
        await SendAsync(CstpPacketType.Disconnect, []);
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _counters.Drops(DropReason.UnexpectedFrame));
        Assert.DoesNotContain(_inbound.Events, e => e.StartsWith("packet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendFinalFrameAndCloseAsync_Terminate_ReachesTheClientBeforeTheLinkCloses()
    {
        var running = _connection.RunAsync();

        await _connection.SendFinalFrameAndCloseAsync(CstpPacketType.Terminate, "gateway stopping");
        var (type, _) = await ReadFrameAsync();

        Assert.Equal(CstpPacketType.Terminate, type);
        Assert.Equal("gateway stopping", await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_ClientClosesTheStream_EndsClosedByTheClient()
    {
        var running = _connection.RunAsync();

        _client.Dispose();

        Assert.Equal("closed by the client", await running.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_TwoFramesInOneRead_IdleOnlyAfterTheLast()
    {
        var running = _connection.RunAsync();
        byte[] one = new byte[CstpFrame.HeaderLength + 2];
        CstpFrame.WriteHeader(one, CstpPacketType.Data, 2);

        await _client.WriteAsync((byte[])[.. one, .. one]);
        await _client.FlushAsync();
        await ClientConnectionTests.WaitUntilAsync(() => _inbound.Events.Count == 5);
        _connection.Close("test over");
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["received", "packet 2", "received", "packet 2", "idle"], _inbound.Events);
    }

    [Fact]
    public async Task RunAsync_FramesReadWithoutWaiting_IdleOnlyBeforeTheReadThatWaits()
    {
        // Each read takes one frame: the second and third complete at once, the fourth waits.
        byte[] one = DataFrame(2);
        using var reader = new ConnectionReader(new ChunkedReads(_server, one.Length));
        var connection = Connect(reader);
        var running = connection.RunAsync();

        await _client.WriteAsync((byte[])[.. one, .. one, .. one]);
        await _client.FlushAsync();
        await ClientConnectionTests.WaitUntilAsync(() => _inbound.Events.Count == 7);
        connection.Close("test over");
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["received", "packet 2", "received", "packet 2", "received", "packet 2", "idle"], _inbound.Events);
    }

    [Fact]
    public async Task RunAsync_LongRunReadWithoutWaiting_IdleAfterEachMaximumOfDataFrames()
    {
        byte[] one = DataFrame(2);
        using var reader = new ConnectionReader(new ChunkedReads(_server, one.Length));
        var connection = Connect(reader);
        var running = connection.RunAsync();
        int frames = (2 * CstpConnection.MaxDataFramesBeforeIdle) + 1;

        await _client.WriteAsync(Enumerable.Repeat(one, frames).SelectMany(f => f).ToArray());
        await _client.FlushAsync();
        await ClientConnectionTests.WaitUntilAsync(() => _inbound.Events.Count == (2 * frames) + 3);
        connection.Close("test over");
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        var packetsBeforeEachIdle = new List<int>();
        int packets = 0;
        foreach (string e in _inbound.Events)
        {
            if (e == "idle")
            {
                packetsBeforeEachIdle.Add(packets);
            }
            else if (e.StartsWith("packet", StringComparison.Ordinal))
            {
                packets++;
            }
        }

        Assert.Equal([CstpConnection.MaxDataFramesBeforeIdle, 2 * CstpConnection.MaxDataFramesBeforeIdle, frames], packetsBeforeEachIdle);
    }

    private CstpConnection Connect(ConnectionReader reader) =>
        new(_inbound, _server, reader, IPEndPoint.Parse("198.18.1.2:40000"), new SessionTraffic(), _counters, TimeProvider.System, maxQueuedPackets: 16);

    private static byte[] DataFrame(int length)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + length];
        CstpFrame.WriteHeader(frame, CstpPacketType.Data, length);
        return frame;
    }

    private async Task SendAsync(CstpPacketType type, byte[] payload)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + payload.Length];
        CstpFrame.WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame, CstpFrame.HeaderLength);
        await _client.WriteAsync(frame);
        await _client.FlushAsync();
    }

    private async Task<(CstpPacketType Type, byte[] Payload)> ReadFrameAsync()
    {
        byte[] header = new byte[CstpFrame.HeaderLength];
        await _client.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CstpHeaderStatus.Complete, CstpFrame.TryReadHeader(header, out var type, out int length));
        byte[] payload = new byte[length];
        await _client.ReadExactlyAsync(payload).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (type, payload);
    }

    private sealed class RecordingInbound : ICstpInbound
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _events = new();

        public IReadOnlyList<string> Events => [.. _events];

        public void OnReceived() => _events.Enqueue("received");

        /// <summary>When set, the session fails on a packet (after recording it).</summary>
        public bool FailOnPacket { get; set; }

        public void OnDataPacket(Span<byte> packet)
        {
            _events.Enqueue("packet " + packet.Length);
            if (FailOnPacket)
            {
                throw new InvalidDataException("the session failed on a packet");
            }
        }

        public void OnReadIdle() => _events.Enqueue("idle");
    }

    /// <summary>Reads at most <paramref name="chunk"/> bytes at a time, as SslStream hands over a few records per read.</summary>
    private sealed class ChunkedReads(Stream inner, int chunk) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(chunk, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
