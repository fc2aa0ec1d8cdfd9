namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// The gateway's one set of data-path counters: data packets and bytes each way over each
/// transport, packets dropped by <see cref="DropReason"/>, and the DTLS listener's own figures
/// (datagrams dropped by <see cref="DtlsDropReason"/>, handshakes by result, cookies sent, NAT
/// rebinds). Bumped with Interlocked on the data path (no allocation) and read by the metrics
/// exporter and the control socket's status when asked. A packet is counted once, where it
/// leaves the gateway, as in <see cref="SessionTraffic"/>.
/// </summary>
public sealed class PacketCounters
{
    private readonly TransportTally _tally = new();
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _dtlsDrops = new long[Enum.GetValues<DtlsDropReason>().Length];
    private readonly long[] _handshakes = new long[Enum.GetValues<DtlsHandshakeResult>().Length];
    private long _helloVerifyRequests;
    private long _rebinds;
    private Func<long> _tunQueueDrops = static () => 0;

    /// <summary>Data packets from clients written to the TUN device, over both transports.</summary>
    public long PacketsFromClients => _tally.PacketsFromClient;

    public long BytesFromClients => _tally.BytesFromClient;

    /// <summary>Data packets sent to clients, over both transports.</summary>
    public long PacketsToClients => _tally.PacketsToClient;

    public long BytesToClients => _tally.BytesToClient;

    /// <summary>Cookies sent (RFC 6347 §4.2.1): ClientHellos answered before any state was kept.</summary>
    public long HelloVerifyRequests => Volatile.Read(ref _helloVerifyRequests);

    /// <summary>DTLS channels re-matched to a new client address (NAT rebinding).</summary>
    public long Rebinds => Volatile.Read(ref _rebinds);

    /// <summary>What went over <paramref name="transport"/> alone.</summary>
    public TransportTraffic Over(Transport transport) => _tally.Read(transport);

    public void CountFromClient(Transport transport, int bytes) => _tally.FromClient(transport, bytes);

    public void CountToClient(Transport transport, int bytes) => _tally.ToClient(transport, bytes);

    public void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    /// <summary><paramref name="packets"/> packets dropped at once (a joined TCP segment the device refused).</summary>
    public void CountDrops(DropReason reason, int packets) => Interlocked.Add(ref _drops[(int)reason], packets);

    /// <summary>A datagram or record the DTLS listener dropped.</summary>
    public void CountDrop(DtlsDropReason reason) => Interlocked.Increment(ref _dtlsDrops[(int)reason]);

    public void CountHandshake(DtlsHandshakeResult result) => Interlocked.Increment(ref _handshakes[(int)result]);

    public void CountHelloVerifyRequest() => Interlocked.Increment(ref _helloVerifyRequests);

    public void CountRebind() => Interlocked.Increment(ref _rebinds);

    /// <summary>Where <see cref="DropReason.TunQueueFull"/> is read from: the kernel counts those drops, the TUN device reports them.</summary>
    public void ReadTunQueueDropsFrom(Func<long> source) => _tunQueueDrops = source;

    public long Drops(DropReason reason) =>
        reason == DropReason.TunQueueFull ? _tunQueueDrops() : Volatile.Read(ref _drops[(int)reason]);

    public long Drops(DtlsDropReason reason) => Volatile.Read(ref _dtlsDrops[(int)reason]);

    public long Handshakes(DtlsHandshakeResult result) => Volatile.Read(ref _handshakes[(int)result]);
}
