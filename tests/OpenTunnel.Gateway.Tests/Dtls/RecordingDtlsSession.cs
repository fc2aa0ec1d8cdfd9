using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

/// <summary>A CSTP session as the DTLS listener sees it, recording everything the listener tells it.</summary>
internal sealed class RecordingDtlsSession : IDtlsSession
{
    private readonly byte[] _masterSecret = new byte[48];

    public RecordingDtlsSession(DtlsCipherSuite? suite = null)
    {
        Random.Shared.NextBytes(_masterSecret);
        DtlsCipherSuite = suite ?? DtlsCipherSuite.All[0];
    }

    public DtlsSessionId DtlsSessionId { get; } = DtlsSessionId.NewRandom();

    public DtlsCipherSuite DtlsCipherSuite { get; }

    public ReadOnlySpan<byte> DtlsMasterSecret => _masterSecret;

    public byte[] MasterSecret => _masterSecret;

    public string DisplayName => "test-" + DtlsSessionId.ToHex()[..8];

    public SessionTraffic Traffic { get; } = new();

    public BlockingCollection<IDtlsChannel> Established { get; } = [];

    public BlockingCollection<byte[]> Packets { get; } = [];

    public BlockingCollection<byte[]> Disconnects { get; } = [];

    public BlockingCollection<DtlsCloseReason> Closed { get; } = [];

    public void OnDtlsEstablished(IDtlsChannel channel) => Established.Add(channel);

    public void OnDtlsPacket(Span<byte> ipPacket) => Packets.Add(ipPacket.ToArray());

    public void OnDtlsDisconnect(ReadOnlySpan<byte> reason) => Disconnects.Add(reason.ToArray());

    public void OnDtlsClosed(IDtlsChannel channel, DtlsCloseReason reason) => Closed.Add(reason);
}

/// <summary>The session table, as a dictionary; with <see cref="Device"/>, a UDP socket stands in for the TUN device the receive loop serves.</summary>
internal sealed class DictionaryDtlsSessionDirectory : IDtlsSessionDirectory
{
    private readonly ConcurrentDictionary<DtlsSessionId, IDtlsSession> _sessions = new();

    /// <summary>What the receive loop waits on besides its socket; each datagram queued there is one "packet of the device".</summary>
    public Socket? Device { get; init; }

    /// <summary>The device's datagrams <see cref="ServeDevice"/> read, on the receive loop's thread.</summary>
    public ConcurrentQueue<byte[]> Served { get; } = [];

    /// <summary>Whether the receive loop said it no longer serves the device.</summary>
    public bool Detached { get; private set; }

    public void Add(IDtlsSession session) => _sessions[session.DtlsSessionId] = session;

    public void Remove(IDtlsSession session) => _sessions.TryRemove(session.DtlsSessionId, out _);

    public bool TryFind(DtlsSessionId sessionId, [NotNullWhen(true)] out IDtlsSession? session) => _sessions.TryGetValue(sessionId, out session);

    public int AttachDeviceReader() => Device is null ? -1 : (int)Device.Handle;

    public DeviceRead ServeDevice()
    {
        byte[] buffer = new byte[2048];
        while (Device is { Available: > 0 })
        {
            int length = Device.Receive(buffer);
            Served.Enqueue(buffer[..length]);
        }

        return DeviceRead.Drained;
    }

    public void DetachDeviceReader() => Detached = true;
}
