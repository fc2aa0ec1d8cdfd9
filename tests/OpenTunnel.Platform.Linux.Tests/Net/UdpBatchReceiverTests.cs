using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Net;

namespace OpenTunnel.Platform.Linux.Tests.Net;

[Trait("Category", "Integration")]
public sealed class UdpBatchReceiverTests : IDisposable
{
    private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public UdpBatchReceiverTests()
    {
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
    }

    private static Socket BoundSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    [Fact]
    public void Receive_SeveralQueuedDatagrams_ReturnsThemInOneBatchWithSender()
    {
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);
        for (byte i = 1; i <= 5; i++)
        {
            _client.SendTo(new byte[] { i, i, i }, _server.LocalEndPoint!);
        }

        var received = new List<byte[]>();
        var sender = new SocketAddress(AddressFamily.InterNetwork);
        while (received.Count < 5)
        {
            int count = receiver.Receive(timeoutMs: 2000);
            Assert.True(count > 0, "Nothing arrived.");
            for (int i = 0; i < count; i++)
            {
                received.Add(receiver.Datagram(i).ToArray());
                Assert.False(receiver.IsTruncated(i));
                receiver.CopySender(i, sender);
                Assert.Equal(_client.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(sender));
            }
        }

        Assert.Equal([[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [5, 5, 5]], received);
    }

    [Fact]
    public void Receive_ADatagramSentAlone_ArrivesWholeFromItsSender_AndAnAddressTheSocketCannotReachIsRefusedWithTheErrno()
    {
        using var receiver = new UdpBatchReceiver(_server, capacity: 4, slotSize: 2048);
        byte[] datagram = [.. Enumerable.Range(0, 1300).Select(i => (byte)i)];

        Assert.True(UdpSegmentSender.TrySendOne(_client, datagram, _server.LocalEndPoint!.Serialize(), out int errno), $"errno {errno}");

        Assert.Equal(1, receiver.Receive(timeoutMs: 2000));
        Assert.Equal(datagram, receiver.Datagram(0).ToArray());
        var sender = new SocketAddress(AddressFamily.InterNetwork);
        receiver.CopySender(0, sender);
        Assert.Equal(_client.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(sender));

        var ipv6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443).Serialize();
        Assert.False(UdpSegmentSender.TrySendOne(_client, datagram, ipv6, out errno));
        Assert.NotEqual(0, errno);
    }

    [Fact]
    public void Receive_OtherDescriptorReadable_ReturnsAtOnceWithNoDatagram_AndSaysSo()
    {
        using var other = BoundSocket();
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);
        _client.SendTo(new byte[] { 7 }, other.LocalEndPoint!);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        int count = receiver.Receive(timeoutMs: 5000, (int)other.Handle, out bool otherReady);

        Assert.Equal(0, count);
        Assert.True(otherReady);
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(4), "Receive waited out its timeout although the other descriptor was readable.");
    }

    [Fact]
    public void Receive_DatagramsQueued_ReturnedWithoutAWait_SoTheOtherIsNotLookedAt()
    {
        using var other = BoundSocket();
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);
        _client.SendTo(new byte[] { 7 }, other.LocalEndPoint!);
        _client.SendTo(new byte[] { 1, 2 }, _server.LocalEndPoint!);
        while (other.Available == 0 || _server.Available == 0)
        {
            Thread.Sleep(10);
        }

        int count = receiver.Receive(timeoutMs: 5000, (int)other.Handle, out bool otherReady);

        Assert.Equal(1, count);
        Assert.Equal([1, 2], receiver.Datagram(0).ToArray());
        Assert.False(otherReady);
        Assert.Equal(0, receiver.Receive(timeoutMs: 5000, (int)other.Handle, out otherReady));
        Assert.True(otherReady);
    }

    [Fact]
    public async Task Receive_AfterAShortBatch_TakesADatagramThatArrivesDuringTheWait()
    {
        using var other = BoundSocket();
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);
        _client.SendTo(new byte[] { 1 }, _server.LocalEndPoint!);
        Assert.Equal(1, receiver.Receive(timeoutMs: 2000, (int)other.Handle, out _));

        // Not disposed: the datagram can be received before the task that sent it has completed.
        var late = Task.Delay(100).ContinueWith(_ => _client.SendTo(new byte[] { 2, 2 }, _server.LocalEndPoint!), TaskScheduler.Default);
        int count = receiver.Receive(timeoutMs: 5000, (int)other.Handle, out bool otherReady);
        await late.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(1, count);
        Assert.Equal([2, 2], receiver.Datagram(0).ToArray());
        Assert.False(otherReady);
    }

    [Fact]
    public void Receive_AnotherDescriptorThanLastTime_OnlyTheNewOneIsWatched()
    {
        using var first = BoundSocket();
        using var second = BoundSocket();
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);
        _client.SendTo(new byte[] { 7 }, first.LocalEndPoint!);
        Assert.Equal(0, receiver.Receive(timeoutMs: 5000, (int)first.Handle, out bool firstReady));
        Assert.True(firstReady);

        // The first one is still readable, but no longer the caller's other descriptor.
        int count = receiver.Receive(timeoutMs: 50, (int)second.Handle, out bool otherReady);

        Assert.Equal(0, count);
        Assert.False(otherReady);
        _client.SendTo(new byte[] { 8 }, second.LocalEndPoint!);
        Assert.Equal(0, receiver.Receive(timeoutMs: 5000, (int)second.Handle, out otherReady));
        Assert.True(otherReady);
    }

    [Fact]
    public void Receive_NeitherReadable_TimesOut_OtherNotReady()
    {
        using var other = BoundSocket();
        using var receiver = new UdpBatchReceiver(_server, capacity: 8, slotSize: 2048);

        int count = receiver.Receive(timeoutMs: 50, (int)other.Handle, out bool otherReady);

        Assert.Equal(0, count);
        Assert.False(otherReady);
    }

    [Fact]
    public void Receive_Coalescing_ARunSentWithSegmentationOffload_ComesBackAsItsDatagrams()
    {
        // One message per call: the run's eleven datagrams come back from one call only if the kernel kept them together.
        using var receiver = new UdpBatchReceiver(_server, capacity: 1, slotSize: ushort.MaxValue, coalesce: true);
        Assert.True(receiver.Coalescing);
        // Ten datagrams of 1,000 bytes and a last one of 300, each filled with its number, in one send.
        byte[] run = new byte[10_300];
        for (int i = 0; i < run.Length; i++)
        {
            run[i] = (byte)(i / 1000);
        }

        var to = _server.LocalEndPoint!.Serialize();
        Assert.True(UdpSegmentSender.TrySend(_client, run, 1000, to, out int errno), $"errno {errno}");
        _client.SendTo(new byte[] { 42 }, _server.LocalEndPoint!);

        var received = new List<byte[]>();
        var sender = new SocketAddress(AddressFamily.InterNetwork);
        var counts = new List<int>();
        while (received.Count < 12)
        {
            int count = receiver.Receive(timeoutMs: 2000);
            Assert.True(count > 0, $"Nothing more arrived after {received.Count} datagrams.");
            counts.Add(count);
            for (int i = 0; i < count; i++)
            {
                received.Add(receiver.Datagram(i).ToArray());
                receiver.CopySender(i, sender);
                Assert.Equal(_client.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(sender));
            }
        }

        Assert.Equal([11, 1], counts);
        Assert.Equal([.. Enumerable.Repeat(1000, 10), 300, 1], received.Select(d => d.Length));
        for (int i = 0; i < 11; i++)
        {
            Assert.All(received[i], b => Assert.Equal(i, b));
        }

        Assert.Equal(42, received[11][0]);
    }

    [Fact]
    public void Constructor_CoalescingWithASlotTooSmallForARun_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpBatchReceiver(_server, capacity: 4, slotSize: 2048, coalesce: true));
    }

    [Fact]
    public void Receive_MoreThanCapacityQueued_SplitsIntoBatches()
    {
        using var receiver = new UdpBatchReceiver(_server, capacity: 4, slotSize: 64);
        for (int i = 0; i < 10; i++)
        {
            _client.SendTo(new byte[] { (byte)i }, _server.LocalEndPoint!);
        }

        Thread.Sleep(100);
        int first = receiver.Receive(timeoutMs: 2000);

        Assert.Equal(4, first);
    }

    [Fact]
    public void Receive_DatagramLongerThanSlot_ReportedTruncated()
    {
        using var receiver = new UdpBatchReceiver(_server, capacity: 2, slotSize: 16);
        _client.SendTo(new byte[100], _server.LocalEndPoint!);

        Assert.Equal(1, receiver.Receive(timeoutMs: 2000));
        Assert.True(receiver.IsTruncated(0));
        Assert.Equal(16, receiver.Datagram(0).Length);
    }

    [Fact]
    public void Receive_NothingQueued_ReturnsZeroAfterTimeout()
    {
        using var receiver = new UdpBatchReceiver(_server, capacity: 2, slotSize: 16);

        Assert.Equal(0, receiver.Receive(timeoutMs: 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => receiver.Datagram(0));
    }
}
