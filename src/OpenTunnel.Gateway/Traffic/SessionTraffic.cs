namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// The one set of traffic counters of a session: packets and bytes each way over each transport,
/// the last data packet (for the idle timeout) and the last thing received (for the dead-peer
/// check). Bumped with Interlocked from the data path, no allocation. A packet is counted once,
/// where it leaves the gateway: from a client when it was written to the TUN device, to a client
/// when its transport sent it. The times are monotonic timestamps (<see cref="TimeProvider.GetTimestamp"/>),
/// not the wall clock: a step of the system clock (NTP, an administrator) must neither end live
/// sessions nor keep dead ones (docs/reliability.md, "Clock jump").
/// </summary>
public sealed class SessionTraffic
{
    private readonly TransportTally _tally = new();
    private long _lastReceived;
    private long _lastData;

    /// <summary>IP bytes from the client, over both transports.</summary>
    public long BytesFromClient => _tally.BytesFromClient;

    /// <summary>IP bytes to the client, over both transports.</summary>
    public long BytesToClient => _tally.BytesToClient;

    public long PacketsFromClient => _tally.PacketsFromClient;

    public long PacketsToClient => _tally.PacketsToClient;

    /// <summary>Monotonic timestamp of the last thing (data or control) that arrived from the client; 0 before the first CONNECT.</summary>
    public long LastReceivedTimestamp => Interlocked.Read(ref _lastReceived);

    /// <summary>Monotonic timestamp of the last data packet either way (for the idle timeout); 0 before the first CONNECT.</summary>
    public long LastDataTimestamp => Interlocked.Read(ref _lastData);

    /// <summary>What went over <paramref name="transport"/> alone.</summary>
    public TransportTraffic Over(Transport transport) => _tally.Read(transport);

    public void CountFromClient(Transport transport, int bytes, long nowTimestamp)
    {
        _tally.FromClient(transport, bytes);
        Volatile.Write(ref _lastData, nowTimestamp);
    }

    public void CountToClient(Transport transport, int bytes, long nowTimestamp)
    {
        _tally.ToClient(transport, bytes);
        Volatile.Write(ref _lastData, nowTimestamp);
    }

    public void MarkReceived(long nowTimestamp) => Volatile.Write(ref _lastReceived, nowTimestamp);

    /// <summary>
    /// A TLS link was attached at <paramref name="nowTimestamp"/>: it counts as received, and as data
    /// when none went yet (the idle timeout runs from the first CONNECT).
    /// </summary>
    public void MarkAttached(long nowTimestamp)
    {
        Volatile.Write(ref _lastReceived, nowTimestamp);
        Interlocked.CompareExchange(ref _lastData, nowTimestamp, 0);
    }
}
