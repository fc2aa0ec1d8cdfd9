using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;
using OpenTunnel.Testing.Dtls;
using Org.BouncyCastle.Tls;
using Xunit.Abstractions;

namespace OpenTunnel.Gateway.Tests.Dtls;

/// <summary>
/// The listener on 127.0.0.1 with BouncyCastle's DTLS client standing in for openconnect (the
/// end-to-end tests use the real openconnect): real UDP sockets, real handshakes, real records.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DtlsListenerTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly byte[] IpPacket = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 128, 2, 198, 18, 2, 10, 1, 2, 3, 4, 0, 8, 0, 0];

    private readonly DictionaryDtlsSessionDirectory _directory = new();
    private readonly DtlsListener _listener;
    private readonly List<IDisposable> _disposables = [];
    private readonly ITestOutputHelper _output;

    public DtlsListenerTests(ITestOutputHelper output)
    {
        _output = output;
        _listener = CreateListener(new DtlsOptions());
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _listener.Dispose();
    }

    [Fact]
    public void Handshake_KnownSession_EstablishesAfterCookieAndCarriesDataBothWays()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);
        Assert.Equal(IpPacket, Take(session.Packets));

        Assert.True(channel.TrySendData(IpPacket));
        channel.FlushData();
        Assert.Equal([(byte)CstpPacketType.Data, .. IpPacket], Receive(client));

        Assert.Equal(1, _listener.Counters.Handshakes(DtlsHandshakeResult.Succeeded));
        Assert.Equal(1, _listener.Counters.HelloVerifyRequests);
        Assert.Equal(1, _listener.ActiveChannels);
    }

    [Fact]
    public void DpdRequest_PaddedProbe_AnsweredWithSamePayload()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        Take(session.Established);
        byte[] probe = new byte[1 + 1400];
        probe[0] = (byte)CstpPacketType.DpdRequest;
        Random.Shared.NextBytes(probe.AsSpan(1));

        client.Send(probe);

        byte[] answer = Receive(client);
        Assert.Equal((byte)CstpPacketType.DpdResponse, answer[0]);
        Assert.Equal(probe[1..], answer[1..]);
    }

    [Fact]
    public void KeepaliveAndDpdFromGateway_ReachClient_KeepaliveFromClientNeedsNoAnswer()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        client.Send([(byte)CstpPacketType.Keepalive]);
        Assert.True(channel.TrySend(CstpPacketType.DpdRequest, []));
        Assert.True(channel.TrySend(CstpPacketType.Keepalive, []));

        Assert.Equal([(byte)CstpPacketType.DpdRequest], Receive(client));
        Assert.Equal([(byte)CstpPacketType.Keepalive], Receive(client));
        Assert.Empty(session.Packets);
        Assert.Equal(0, _listener.Counters.Drops(DtlsDropReason.Unexpected));
    }

    [Fact]
    public void Disconnect_FromClient_ReachesSessionWithReason()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        Take(session.Established);

        client.Send([(byte)CstpPacketType.Disconnect, 0xB0, (byte)'b', (byte)'y', (byte)'e']);

        Assert.Equal([0xB0, (byte)'b', (byte)'y', (byte)'e'], Take(session.Disconnects));
    }

    [Fact]
    public void GarbageReplayAndStrangers_DroppedAndCounted_GoodSessionKeepsWorking()
    {
        var session = AddSession();
        var (client, udp) = Connect(session);
        var channel = Take(session.Established);
        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);
        Take(session.Packets);
        byte[] sentRecord = udp.SentDatagrams.Last();

        // From a stranger's port: random bytes, a record-shaped datagram, and a ClientHello for an unknown session.
        using var stranger = new UdpClientTransport(_listener.LocalEndPoint);
        byte[] garbage = new byte[200];
        Random.Shared.NextBytes(garbage);
        garbage[1] = 0; // not even a DTLS version
        stranger.SendRaw(garbage);
        stranger.SendRaw(sentRecord);
        stranger.SendRaw(InMemoryDatagramTransport.CaptureClientHello(DtlsSessionId.NewRandom()));

        // From the client's own port: the same record again, and a forged one (a copy with a fresh sequence number).
        udp.SendRaw(sentRecord);
        byte[] corrupted = (byte[])sentRecord.Clone();
        corrupted[10] += 100;
        udp.SendRaw(corrupted);
        udp.SendRaw(garbage);

        WaitUntil(() => _listener.Counters.Drops(DtlsDropReason.Replayed) == 1 &&
                        _listener.Counters.Drops(DtlsDropReason.AuthenticationFailed) == 1 &&
                        _listener.Counters.Drops(DtlsDropReason.UnknownSession) == 1 &&
                        _listener.Counters.Drops(DtlsDropReason.UnknownPeer) == 2 &&
                        _listener.Counters.Drops(DtlsDropReason.Malformed) == 1);

        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);
        Assert.Equal(IpPacket, Take(session.Packets));
        Assert.True(channel.TrySendData(IpPacket));
        channel.FlushData();
        Assert.Equal([(byte)CstpPacketType.Data, .. IpPacket], Receive(client));
        Assert.Empty(session.Packets);
        Assert.True(channel.IsOpen);
    }

    [Fact]
    public void NatRebinding_RecordFromNewPort_RematchedAndRepliesFollow()
    {
        var session = AddSession();
        var (client, udp) = Connect(session);
        var channel = Take(session.Established);
        var before = (IPEndPoint)channel.RemoteEndPoint;

        udp.MoveToNewPort();
        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);

        Assert.Equal(IpPacket, Take(session.Packets));
        Assert.Equal(1, _listener.Counters.Rebinds);
        Assert.Equal(udp.LocalEndPoint.Port, ((IPEndPoint)channel.RemoteEndPoint).Port);
        Assert.NotEqual(before.Port, ((IPEndPoint)channel.RemoteEndPoint).Port);
        Assert.True(channel.TrySendData(IpPacket));
        channel.FlushData();
        Assert.Equal([(byte)CstpPacketType.Data, .. IpPacket], Receive(client));
    }

    [Fact]
    public void SendData_RunsOfRecords_LeaveTogetherOnFlushAsSeparateDatagramsInOrder()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        // 70 full-size packets (more than one system call's worth), one shorter that ends a run,
        // then a longer one that must start a new run; nothing leaves before the flush.
        var packets = Enumerable.Range(0, 70).Select(i => Packet(1400, i))
            .Append(Packet(300, 70))
            .Append(Packet(1200, 71))
            .ToList();
        SendAndReceive(channel, client, packets);

        // A control record goes after the data collected before it.
        Assert.True(channel.TrySendData(packets[0]));
        Assert.True(channel.TrySend(CstpPacketType.DpdRequest, []));
        Assert.Equal([(byte)CstpPacketType.Data, .. packets[0]], Receive(client));
        Assert.Equal([(byte)CstpPacketType.DpdRequest], Receive(client));
    }

    [Fact]
    public void SendData_KernelRefusesSegmentation_RecordsLeaveOneByOne()
    {
        // A UDP socket without checksums (SO_NO_CHECK) cannot segment: sendmsg with UDP_SEGMENT fails with EINVAL.
        _listener.Socket.SetRawSocketOption(1, 11, BitConverter.GetBytes(1));
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        var packets = Enumerable.Range(0, 5).Select(i => Packet(1000, i)).ToList();
        SendAndReceive(channel, client, packets);

        SendAndReceive(channel, client, packets[..2]);
    }

    // Collects the packets, flushes, and expects each as its own datagram, in order.
    private static void SendAndReceive(IDtlsChannel channel, DtlsTransport client, List<byte[]> packets)
    {
        foreach (var packet in packets)
        {
            Assert.True(channel.TrySendData(packet));
        }

        channel.FlushData();
        foreach (var packet in packets)
        {
            Assert.Equal([(byte)CstpPacketType.Data, .. packet], Receive(client));
        }
    }

    private static byte[] Packet(int length, int mark)
    {
        byte[] packet = new byte[length];
        IpPacket.CopyTo(packet, 0);
        packet[^1] = (byte)mark;
        packet[^2] = (byte)(mark >> 8);
        return packet;
    }

    [Fact]
    public void NatRebinding_Disabled_RecordFromNewPortDropped()
    {
        using var listener = CreateListener(new DtlsOptions { RebindTrialsPerSecond = 0 });
        var session = AddSession();
        var (client, udp) = Connect(session, listener);
        Take(session.Established);

        udp.MoveToNewPort();
        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);

        WaitUntil(() => listener.Counters.Drops(DtlsDropReason.UnknownPeer) == 1);
        Assert.Empty(session.Packets);
        Assert.Equal(0, listener.Counters.Rebinds);
    }

    [Fact]
    public void Handshake_WrongMasterSecret_FailsAndIsCounted()
    {
        var session = AddSession();
        using var udp = new UdpClientTransport(_listener.LocalEndPoint);
        byte[] wrongSecret = new byte[48];

        Assert.ThrowsAny<IOException>(() => ResumingDtlsClient.Connect(udp, session.DtlsSessionId, wrongSecret, session.DtlsCipherSuite.Code));

        WaitUntil(() => _listener.Counters.Handshakes(DtlsHandshakeResult.Failed) == 1);
        Assert.Empty(session.Established);
        Assert.Equal(0, _listener.ActiveChannels);
        WaitUntil(() => _listener.HandshakesRunning == 0);
    }

    [Fact]
    public void Handshake_SessionNotInDirectory_NoAnswerAndCountedAsUnknownSession()
    {
        var session = new RecordingDtlsSession();
        using var udp = new UdpClientTransport(_listener.LocalEndPoint);

        udp.SendRaw(InMemoryDatagramTransport.CaptureClientHello(session.DtlsSessionId));

        WaitUntil(() => _listener.Counters.Drops(DtlsDropReason.UnknownSession) == 1);
        Assert.Equal(-1, udp.Receive(new byte[100], 200));
        Assert.Equal(0, _listener.Counters.HelloVerifyRequests);
    }

    [Fact]
    public void Alert_FromClient_ClosesChannelAndSessionHearsIt()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        client.Close();

        Assert.Equal(DtlsCloseReason.AlertReceived, Take(session.Closed));
        Assert.False(channel.IsOpen);
        Assert.False(channel.TrySendData(IpPacket));
        Assert.Equal(0, _listener.ActiveChannels);
    }

    [Fact]
    public void Rehandshake_SameSessionFromNewPort_NewChannelReplacesOldWithoutClosedCallback()
    {
        var session = AddSession();
        Connect(session);
        var first = Take(session.Established);

        var (second, _) = Connect(session);
        var replacement = Take(session.Established);

        WaitUntil(() => !first.IsOpen);
        Assert.True(replacement.IsOpen);
        Assert.Equal(1, _listener.ActiveChannels);
        Assert.Empty(session.Closed);
        second.Send([(byte)CstpPacketType.Data, .. IpPacket]);
        Assert.Equal(IpPacket, Take(session.Packets));
    }

    [Fact]
    public void DuplicateClientHello_AfterEstablished_WorkingChannelKeepsCarryingData()
    {
        var session = AddSession();
        var (client, udp) = Connect(session);
        var channel = Take(session.Established);
        // The second datagram the client sent is its ClientHello with the cookie: a valid one, arriving late.
        byte[] lateHello = udp.SentDatagrams.ElementAt(1);
        Assert.True(DtlsRecord.TryReadClientHelloSessionId(lateHello, out _));

        udp.SendRaw(lateHello);
        WaitUntil(() => _listener.HandshakesRunning == 1 || _listener.Counters.Handshakes(DtlsHandshakeResult.Failed) == 1);
        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);

        Assert.Equal(IpPacket, Take(session.Packets));
        Assert.True(channel.IsOpen);
        Assert.True(channel.TrySendData(IpPacket));
        channel.FlushData();
        Assert.Equal([(byte)CstpPacketType.Data, .. IpPacket], Receive(client));
        Assert.Empty(session.Established);
    }

    [Fact]
    public void Alert_AfterALateClientHello_ClosesTheWorkingChannel()
    {
        // A client whose ClientHello was slow to be answered sends it again; the copy arrives once the
        // channel is up and starts a second handshake from the same address. The client's
        // close_notify, sealed with the working channel's keys, still belongs to that channel.
        var session = AddSession();
        var (client, udp) = Connect(session);
        var channel = Take(session.Established);
        udp.SendRaw(udp.SentDatagrams.ElementAt(1));
        WaitUntil(() => _listener.HandshakesRunning == 1 || _listener.Counters.Handshakes(DtlsHandshakeResult.Failed) == 1);

        client.Close();

        Assert.Equal(DtlsCloseReason.AlertReceived, Take(session.Closed));
        Assert.False(channel.IsOpen);
        Assert.Equal(0, _listener.ActiveChannels);
    }

    [Fact]
    public void Close_BySession_StopsChannelWithoutCallback()
    {
        var session = AddSession();
        var (client, _) = Connect(session);
        var channel = Take(session.Established);

        channel.Close();
        client.Send([(byte)CstpPacketType.Data, .. IpPacket]);

        WaitUntil(() => _listener.Counters.Drops(DtlsDropReason.UnknownPeer) == 1);
        Assert.Empty(session.Packets);
        Assert.Empty(session.Closed);
        Assert.Equal(0, _listener.ActiveChannels);
    }

    [Fact]
    public void Handshakes_BeyondTheLimit_DroppedAndCountedUntilTheStalledOneTimesOut()
    {
        using var listener = CreateListener(new DtlsOptions { MaxConcurrentHandshakes = 1, HandshakeTimeoutSeconds = 2 });
        // Both clients hear the cookie and then nothing more, so the gateway's handshake stalls.
        StartDeafClient(AddSession(), listener);
        WaitUntil(() => listener.HandshakesRunning == 1);
        StartDeafClient(AddSession(), listener);

        WaitUntil(() => listener.Counters.Drops(DtlsDropReason.HandshakesBusy) >= 1);
        WaitUntil(() => listener.Counters.Handshakes(DtlsHandshakeResult.TimedOut) >= 1);
        Assert.Equal(0, listener.Counters.Handshakes(DtlsHandshakeResult.Succeeded));
        Assert.Equal(0, listener.ActiveChannels);
    }

    [Fact]
    public void SilentPeer_PastDeadPeerTimeout_ClosedAndSessionHearsIt()
    {
        using var listener = CreateListener(new DtlsOptions { DeadPeerTimeoutSeconds = 5 });
        var session = AddSession();
        Connect(session, listener);
        var channel = Take(session.Established);

        Assert.True(session.Closed.TryTake(out var reason, TimeSpan.FromSeconds(10)), "The silent channel was not closed.");
        Assert.Equal(DtlsCloseReason.PeerSilent, reason);
        Assert.False(channel.IsOpen);
    }

    [Fact]
    public void Dispose_WithEstablishedChannel_SessionHearsListenerStopped()
    {
        var listener = CreateListener(new DtlsOptions());
        var session = AddSession();
        Connect(session, listener);
        Take(session.Established);

        listener.Dispose();

        Assert.Equal(DtlsCloseReason.ListenerStopped, Take(session.Closed));
    }

    private static T Take<T>(BlockingCollection<T> collection)
    {
        Assert.True(collection.TryTake(out T? item, Wait), $"Nothing arrived within {Wait.TotalSeconds} s.");
        return item;
    }

    private static byte[] Receive(DtlsTransport client)
    {
        byte[] buffer = new byte[2048];
        int length = client.Receive(buffer, 0, buffer.Length, (int)Wait.TotalMilliseconds);
        Assert.True(length >= 0, "The client received nothing.");
        return buffer[..length];
    }

    [Fact]
    public void ReceiveLoop_DeviceReadable_ServedOnTheLoop_AndLeftWhenTheListenerStops()
    {
        using var device = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        device.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var host = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var directory = new DictionaryDtlsSessionDirectory { Device = device };
        var listener = new DtlsListener(new DtlsOptions(), dpdSeconds: 30, directory, new PacketCounters(), new TestOutputLogger<DtlsListener>(_output));
        listener.Start(new IPEndPoint(IPAddress.Loopback, 0));

        // No datagram reaches the listener: only the device's readiness wakes the loop.
        host.SendTo(IpPacket, device.LocalEndPoint!);
        WaitUntil(() => !directory.Served.IsEmpty);
        Assert.True(directory.Served.TryDequeue(out byte[]? served));
        Assert.Equal(IpPacket, served);
        Assert.False(directory.Detached);

        listener.Dispose();
        Assert.True(directory.Detached);
    }

    private void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The expected state was not reached in time; drops: " + string.Join(", ", Enum.GetValues<DtlsDropReason>().Select(r => $"{r}={_listener.Counters.Drops(r)}")));
            Thread.Sleep(20);
        }
    }

    private DtlsListener CreateListener(DtlsOptions options)
    {
        var listener = new DtlsListener(options, dpdSeconds: 30, _directory, new PacketCounters(), new TestOutputLogger<DtlsListener>(_output));
        listener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return listener;
    }

    private RecordingDtlsSession AddSession()
    {
        var session = new RecordingDtlsSession();
        _directory.Add(session);
        return session;
    }

    private void StartDeafClient(RecordingDtlsSession session, DtlsListener listener)
    {
        var udp = new UdpClientTransport(listener.LocalEndPoint) { DeafAfter = 1 };
        _disposables.Add(udp);
        _ = Task.Run(() => ResumingDtlsClient.Connect(udp, session.DtlsSessionId, session.MasterSecret));
    }

    private (DtlsTransport Client, UdpClientTransport Udp) Connect(RecordingDtlsSession session, DtlsListener? listener = null)
    {
        var udp = new UdpClientTransport((listener ?? _listener).LocalEndPoint);
        _disposables.Add(udp);
        var client = ResumingDtlsClient.Connect(udp, session.DtlsSessionId, session.MasterSecret, session.DtlsCipherSuite.Code);
        return (client, udp);
    }
}
