using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tests.Connections;
using OpenTunnel.Gateway.Tests.Sessions;
using OpenTunnel.Gateway.Tests.Traffic;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Tests.DataPlane;

/// <summary>The data plane's checks and routing over an in-memory packet device (no root, no kernel).</summary>
[Trait("Category", "Unit")]
public sealed class TunDataPlaneInMemoryTests : IDisposable
{
    private readonly InMemoryPacketDevice _device = new();
    private readonly IPv4AddressPool _pool = new(IPNetwork.Parse("198.18.128.0/24"));
    private readonly PacketCounters _counters = new();
    private readonly TunDataPlane _plane;

    public TunDataPlaneInMemoryTests()
    {
        _plane = new TunDataPlane(_device, 1400, _pool, null, _counters, TimeProvider.System, NullLogger.Instance);
    }

    public void Dispose() => _plane.Dispose();

    [Fact]
    public void FromClient_OwnSource_WrittenAndCountedOnTheSession()
    {
        var (session, address) = Lease();
        byte[] packet = TestPackets.Ipv4(address, "198.18.2.10");

        _plane.FromClient(session, Transport.Tls, packet);

        Assert.Equal(packet, Assert.Single(_device.Written));
        Assert.Equal(1, session.Traffic.PacketsFromClient);
        Assert.Equal(packet.Length, _counters.BytesFromClients);
    }

    [Fact]
    public void Drops_TunQueueFull_IsWhatTheDeviceReportsTheHostDropped_ReadWhenAsked()
    {
        Assert.Equal(0, _counters.Drops(DropReason.TunQueueFull));

        _device.QueueDrops = 170;

        Assert.Equal(170, _counters.Drops(DropReason.TunQueueFull));
        Assert.Equal(0, _counters.Drops(DropReason.QueueFull));
    }

    [Fact]
    public void FromClient_OverDtls_CountedOnceUnderDtlsForTheSessionAndTheGateway()
    {
        var (session, address) = Lease();
        byte[] packet = TestPackets.Ipv4(address, "198.18.2.10");

        _plane.FromClient(session, Transport.Dtls, packet);

        Assert.Equal(new TransportTraffic(1, packet.Length, 0, 0), session.Traffic.Over(Transport.Dtls));
        Assert.Equal(default, session.Traffic.Over(Transport.Tls));
        Assert.Equal(new TransportTraffic(1, packet.Length, 0, 0), _counters.Over(Transport.Dtls));
        Assert.Equal(1, _counters.PacketsFromClients);
    }

    [Fact]
    public void FromClient_OverTls_SuspendsTheReadersWakeupsOnceUntilThisThreadsDrainNow_OverDtlsNever()
    {
        var (session, address) = Lease();
        byte[] packet = TestPackets.Ipv4(address, "198.18.2.10");

        _plane.FromClient(session, Transport.Dtls, packet);
        Assert.Equal(0, _device.Suspensions);
        _plane.FromClient(session, Transport.Tls, packet);
        _plane.FromClient(session, Transport.Tls, packet);
        Assert.Equal(1, _device.Suspensions);
        Assert.Equal(1, _device.MostSuspensions);
        var other = new Thread(_plane.DrainNow);
        other.Start();
        other.Join();
        Assert.Equal(1, _device.Suspensions);

        _plane.DrainNow();

        Assert.Equal(0, _device.Suspensions);
        Assert.Equal(3, _device.Written.Count);
    }

    [Fact]
    public void FromClient_OverTls_BareAcknowledgement_LeavesTheReadersWakeupsOn_DataSuspendsThem()
    {
        var (session, address) = Lease();

        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, 0x10, 65535));
        Assert.Equal(0, _device.Suspensions);
        _plane.FromClient(session, Transport.Tls, TestPackets.Tcp(address, "198.18.2.10", 1, 1, payload: 100));
        Assert.Equal(1, _device.Suspensions);

        _plane.DrainNow();
        Assert.Equal(0, _device.Suspensions);
    }

    [Fact]
    public void FromClient_TrailingBytesBeyondTotalLength_WrittenWithoutThem()
    {
        var (session, address) = Lease();
        byte[] packet = TestPackets.Ipv4(address, "198.18.2.10");

        _plane.FromClient(session, Transport.Tls, [.. packet, 0xEE, 0xEE]);

        Assert.Equal(packet, Assert.Single(_device.Written));
    }

    [Fact]
    public void FromClient_ForgedSource_DroppedAndCounted()
    {
        var (session, _) = Lease();

        _plane.FromClient(session, Transport.Tls, TestPackets.Ipv4("198.18.128.250", "198.18.2.10"));

        Assert.Empty(_device.Written);
        Assert.Equal(1, _counters.Drops(DropReason.SpoofedSource));
    }

    [Fact]
    public void FromClient_ToAnotherClient_DroppedUnlessAllowed()
    {
        var (alice, from) = Lease();
        var (_, to) = Lease();

        _plane.FromClient(alice, Transport.Tls, TestPackets.Ipv4(from, to));
        Assert.Equal(1, _counters.Drops(DropReason.ClientToClient));

        _plane.AllowClientToClient = true;
        _plane.FromClient(alice, Transport.Tls, TestPackets.Ipv4(from, to));
        Assert.Single(_device.Written);
    }

    [Fact]
    public void FromClient_Malformed_DroppedAndCounted()
    {
        var (session, _) = Lease();

        _plane.FromClient(session, Transport.Tls, [0x45, 0, 0]);

        Assert.Equal(1, _counters.Drops(DropReason.Malformed));
    }

    [Fact]
    public void FromClient_DeviceRefuses_CountedAsReceivedAndAsTunWriteFailed()
    {
        var (session, address) = Lease();
        _device.AcceptWrites = false;

        _plane.FromClient(session, Transport.Tls, TestPackets.Ipv4(address, "198.18.2.10"));

        Assert.Equal(1, _counters.Drops(DropReason.TunWriteFailed));
        Assert.Equal(1, session.Traffic.PacketsFromClient);
    }

    [Fact]
    public void DrainNow_PacketForARoutedSession_GoesToItsSinkOnTheCallersThread()
    {
        var (session, address) = Lease();
        var sink = new RecordingSink();
        TestSessions.RouteTo(session, sink);
        byte[] packet = TestPackets.Ipv4("198.18.2.10", address);

        _device.Inject(packet);
        _plane.DrainNow();

        Assert.True(sink.Packets.TryDequeue(out var sent));
        Assert.Equal(packet, sent.Packet);
        Assert.Equal(Environment.CurrentManagedThreadId, sent.ThreadId);
    }

    [Fact]
    public void DrainNow_SeveralPacketsForTwoSessions_EachSinkFlushedOnceAfterItsPackets()
    {
        var (first, firstAddress) = Lease();
        var (second, secondAddress) = Lease();
        var firstSink = new RecordingSink();
        var secondSink = new RecordingSink();
        TestSessions.RouteTo(first, firstSink);
        TestSessions.RouteTo(second, secondSink);
        for (int i = 0; i < 3; i++)
        {
            _device.Inject(TestPackets.Ipv4("198.18.2.10", firstAddress));
            _device.Inject(TestPackets.Ipv4("198.18.2.10", secondAddress));
        }

        _plane.DrainNow();

        Assert.Equal((1, 3), firstSink.Flushes);
        Assert.Equal((1, 3), secondSink.Flushes);
    }

    [Fact]
    public void DrainNow_NoSessionHoldsTheAddress_DroppedAsNoSession()
    {
        _device.Inject(TestPackets.Ipv4("198.18.2.10", "198.18.128.77"));

        _plane.DrainNow();

        Assert.Equal(1, _counters.Drops(DropReason.NoSession));
    }

    [Fact]
    public void DrainNow_SessionAway_DroppedAsNoSession()
    {
        var (session, address) = Lease();
        var connection = TestSessions.NewConnection(session.Traffic);
        session.DataPath.AttachTls(connection);
        session.DataPath.DetachTls(connection, DateTimeOffset.UtcNow, out _);

        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));
        _plane.DrainNow();

        Assert.Equal(1, _counters.Drops(DropReason.NoSession));
    }

    [Fact]
    public async Task Start_ReaderThread_DeliversWithoutADrain()
    {
        var (session, address) = Lease();
        var sink = new RecordingSink();
        TestSessions.RouteTo(session, sink);
        _plane.Start();

        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));

        await ClientConnectionTests.WaitUntilAsync(() => !sink.Packets.IsEmpty);
    }

    [Fact]
    public async Task AttachDeviceReader_DeviceWithoutDescriptor_MinusOne_AndTheReaderThreadCarriesOn()
    {
        var (session, address) = Lease();
        var sink = new RecordingSink();
        TestSessions.RouteTo(session, sink);

        Assert.Equal(-1, _plane.AttachDeviceReader());
        _plane.Start();
        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));

        await ClientConnectionTests.WaitUntilAsync(() => !sink.Packets.IsEmpty);
    }

    [Fact]
    public async Task AttachDeviceReader_TheReaderThreadLeavesTheDeviceToTheLoop_UntilItDetaches()
    {
        var (session, address) = Lease();
        var sink = new RecordingSink();
        TestSessions.RouteTo(session, sink);
        _device.FileDescriptor = 42;

        Assert.Equal(42, _plane.AttachDeviceReader());
        _plane.Start();
        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));
        await Task.Delay(600);
        Assert.True(sink.Packets.IsEmpty, "The TUN reader thread read the device while a loop was attached.");

        Assert.Equal(DeviceRead.Drained, _plane.ReadDevice());
        Assert.True(sink.Packets.TryDequeue(out var sent));
        Assert.Equal(Environment.CurrentManagedThreadId, sent.ThreadId);

        _plane.DetachDeviceReader();
        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));
        await ClientConnectionTests.WaitUntilAsync(() => !sink.Packets.IsEmpty);
    }

    [Fact]
    public void Dispose_Twice_TheSecondDoesNothing()
    {
        // The gateway disposes its data plane as it stops, and the host's container again after it.
        _plane.Start();
        _plane.Dispose();

        _plane.Dispose();
    }

    [Fact]
    public void ReadDevice_MoreThanOneBatchQueued_SaysMore_ThenDrained()
    {
        var (session, address) = Lease();
        var sink = new RecordingSink();
        TestSessions.RouteTo(session, sink);
        _device.FileDescriptor = 42;
        _plane.AttachDeviceReader();
        for (int i = 0; i < 70; i++)
        {
            _device.Inject(TestPackets.Ipv4("198.18.2.10", address));
        }

        Assert.Equal(DeviceRead.More, _plane.ReadDevice());
        Assert.Equal(64, sink.Packets.Count);
        Assert.Equal(DeviceRead.Drained, _plane.ReadDevice());
        Assert.Equal(70, sink.Packets.Count);
    }

    [Fact]
    public void Unregister_AddressNoLongerRouted()
    {
        var (session, address) = Lease();
        TestSessions.RouteTo(session, new RecordingSink());

        _plane.Unregister(session);
        _device.Inject(TestPackets.Ipv4("198.18.2.10", address));
        _plane.DrainNow();

        Assert.Equal(1, _counters.Drops(DropReason.NoSession));
    }

    [Fact]
    public void FromClient_TcpSegmentsOfOneFlowOnADeviceWithOffloads_HeldUntilDrainNowThenWrittenAsOne()
    {
        var device = new InMemoryPacketDevice { Offloads = true };
        using var plane = new TunDataPlane(device, 1400, _pool, null, _counters, TimeProvider.System, NullLogger.Instance);
        Assert.True(_pool.TryLease(out uint leased));
        var session = TestSessions.New(leased);
        session.IPv4Address = leased;
        plane.Register(session);
        string address = IPv4AddressPool.ToAddress(leased).ToString();

        for (int i = 0; i < 3; i++)
        {
            plane.FromClient(session, Transport.Dtls, TestPackets.Tcp(address, "198.18.2.10", sequence: 1 + (uint)(i * 1000), identification: (ushort)i, payload: 1000));
        }

        byte[] other = TestPackets.Ipv4(address, "198.18.2.10");
        plane.FromClient(session, Transport.Dtls, other);
        plane.FromClient(session, Transport.Dtls, TestPackets.Tcp(address, "198.18.2.10", sequence: 3001, identification: 3, payload: 1000));
        Assert.Equal(2, device.Written.Count); // the joined three, then the UDP packet; the last segment is held
        plane.DrainNow();

        byte[][] written = [.. device.Written];
        VirtioNetHeader[] headers = [.. device.WrittenHeaders];
        Assert.Equal(3, written.Length);
        Assert.Equal(40 + 3000, written[0].Length);
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 40, 1000, 20, 16), headers[0]);
        Assert.Equal(other, written[1]);
        Assert.Equal(default, headers[2]);
        Assert.Equal(5, session.Traffic.PacketsFromClient);
    }

    [Fact]
    public void FromClient_TwoDataPlanesOnOneThread_EachDeviceGetsOnlyItsOwnHeldSegments()
    {
        var first = new InMemoryPacketDevice { Offloads = true };
        var second = new InMemoryPacketDevice { Offloads = true };
        using var firstPlane = new TunDataPlane(first, 1400, _pool, null, _counters, TimeProvider.System, NullLogger.Instance);
        using var secondPlane = new TunDataPlane(second, 1400, _pool, null, _counters, TimeProvider.System, NullLogger.Instance);
        Assert.True(_pool.TryLease(out uint leased));
        var session = TestSessions.New(leased);
        session.IPv4Address = leased;
        firstPlane.Register(session);
        secondPlane.Register(session);
        string address = IPv4AddressPool.ToAddress(leased).ToString();
        byte[] forFirst = TestPackets.Tcp(address, "198.18.2.10", sequence: 1, identification: 1, payload: 1000);
        byte[] forSecond = TestPackets.Tcp(address, "198.18.2.11", sequence: 1, identification: 1, payload: 1000);

        firstPlane.FromClient(session, Transport.Dtls, forFirst);
        secondPlane.FromClient(session, Transport.Dtls, forSecond);
        secondPlane.DrainNow();
        firstPlane.DrainNow();

        Assert.Equal(forFirst, Assert.Single(first.Written));
        Assert.Equal(forSecond, Assert.Single(second.Written));
    }

    [Fact]
    public void FromClient_OverTls_AcknowledgementOfAFlowWhoseHandshakePassed_WindowLowered()
    {
        _plane.TlsWindowClamp = true;
        var (session, address) = Handshake();

        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), FloorLimit(session));

        Assert.Equal(256 * 1024 >> 7, WindowOf(_device.Written.Last()));
        Assert.NotNull(session.TcpFlows);
    }

    [Fact]
    public void FromClient_OverDtls_OnlyTheTlsClampOn_WindowAsItIs()
    {
        _plane.TlsWindowClamp = true;
        var (session, address) = Handshake();

        _plane.FromClient(session, Transport.Dtls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), FloorLimit(session, Transport.Dtls));

        Assert.Equal(65535, WindowOf(_device.Written.Last()));
    }

    [Fact]
    public void FromClient_OverDtls_DtlsClampOn_WindowLowered()
    {
        _plane.DtlsWindowClamp = true;
        var (session, address) = Handshake();

        _plane.FromClient(session, Transport.Dtls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), FloorLimit(session, Transport.Dtls));

        Assert.Equal(256 * 1024 >> 7, WindowOf(_device.Written.Last()));
    }

    [Fact]
    public void FromClient_OverTls_OnlyTheDtlsClampOn_WindowAsItIs()
    {
        _plane.DtlsWindowClamp = true;
        var (session, address) = Handshake();

        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), FloorLimit(session));
        _plane.DrainNow();

        Assert.Equal(65535, WindowOf(_device.Written.Last()));
        Assert.NotNull(session.TcpFlows);
    }

    [Fact]
    public void FromClient_OverTls_FlowsNotTracked_WindowAsItIsAndNoFlowsKept()
    {
        var (session, address) = Handshake();

        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), FloorLimit(session));

        Assert.Equal(65535, WindowOf(_device.Written.Last()));
        Assert.Null(session.TcpFlows);
    }

    [Fact]
    public void FromClient_OverTls_SpoofedSource_DroppedBeforeItsFlowIsLearned()
    {
        _plane.TlsWindowClamp = true;
        var (session, _) = Lease();

        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl("198.18.128.250", 40000, "198.18.2.10", 5201, Syn, window: 64240, options: [1, 3, 3, 7]), FloorLimit(session));

        Assert.Null(session.TcpFlows);
        Assert.Equal(1, _counters.Drops(DropReason.SpoofedSource));
    }

    [Fact]
    public void FromClient_OverTls_WithFlowsTracked_AnythingButTcp_NeverReadsTheWindowLimit()
    {
        _plane.TlsWindowClamp = true;
        var (session, address) = Handshake();
        var time = new FakeTimeProvider();
        int reads = 0;
        var limit = new TcpWindowLimit(Transport.Tls, () => { reads++; return 40_000; }, session.Traffic, time);
        time.Advance(TcpWindowLimit.RefreshInterval);

        // Anything but TCP (this packet is UDP, as a ping is ICMP): the limit's refresh, a socket option read, stays out of its way.
        _plane.FromClient(session, Transport.Tls, TestPackets.Ipv4(address, "198.18.2.10"), limit);
        Assert.Equal(0, reads);
        _plane.FromClient(session, Transport.Tls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Ack, window: 65535), limit);
        Assert.Equal(1, reads);
    }

    /// <summary>A limit over <paramref name="transport"/> at its floor (256 KiB), its round trip unknown.</summary>
    private static TcpWindowLimit FloorLimit(GatewaySession session, Transport transport = Transport.Tls) => new(transport, () => null, session.Traffic, TimeProvider.System);

    private const byte Syn = 0x02;
    private const byte Ack = 0x10;

    /// <summary>A leased session on DTLS whose client opened a flow to 198.18.2.10:5201, both sides announcing window scale 7.</summary>
    private (GatewaySession Session, string Address) Handshake()
    {
        var (session, address) = Lease();
        TestSessions.RouteTo(session, new RecordingSink());
        _plane.FromClient(session, Transport.Dtls, TestPackets.TcpControl(address, 40000, "198.18.2.10", 5201, Syn, window: 64240, options: [1, 3, 3, 7]));
        _device.Inject(TestPackets.TcpControl("198.18.2.10", 5201, address, 40000, Syn | Ack, window: 65160, options: [1, 3, 3, 7]));
        _plane.DrainNow();
        return (session, address);
    }

    private static int WindowOf(byte[] packet) => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(20 + 14));

    private (GatewaySession Session, string Address) Lease()
    {
        Assert.True(_pool.TryLease(out uint address));
        var session = TestSessions.New(address);
        session.IPv4Address = address;
        _plane.Register(session);
        return (session, IPv4AddressPool.ToAddress(address).ToString());
    }
}
