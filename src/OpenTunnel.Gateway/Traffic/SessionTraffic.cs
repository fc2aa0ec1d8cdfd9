namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// The one set of traffic counters of a session: packets and bytes each way over each transport,
/// the last data packet (for the idle timeout) and the last thing received (for the dead-peer
/// check). Bumped with Interlocked from the data path, no allocation. A packet is counted once,
/// where it leaves the gateway: from a client when it was written to the TUN device, to a client
/// when its transport sent it.
/// </summary>
public sealed class SessionTraffic
{
    private readonly TransportTally _tally = new();
    private long _lastReceivedTicks;
    private long _lastDataTicks;

    public SessionTraffic(DateTimeOffset start)
    {
        _lastDataTicks = start.UtcTicks;
        _lastReceivedTicks = start.UtcTicks;
    }

    /// <summary>IP bytes from the client, over both transports.</summary>
    public long BytesFromClient => _tally.BytesFromClient;

    /// <summary>IP bytes to the client, over both transports.</summary>
    public long BytesToClient => _tally.BytesToClient;

    public long PacketsFromClient => _tally.PacketsFromClient;

    public long PacketsToClient => _tally.PacketsToClient;

    /// <summary>Last time anything (data or control) arrived from the client.</summary>
    public DateTimeOffset LastReceived => new(Interlocked.Read(ref _lastReceivedTicks), TimeSpan.Zero);

    /// <summary>Last time a data packet went either way (for the idle timeout).</summary>
    public DateTimeOffset LastData => new(Interlocked.Read(ref _lastDataTicks), TimeSpan.Zero);

    /// <summary>What went over <paramref name="transport"/> alone.</summary>
    public TransportTraffic Over(Transport transport) => _tally.Read(transport);

    public void CountFromClient(Transport transport, int bytes, long nowTicks)
    {
        _tally.FromClient(transport, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void CountToClient(Transport transport, int bytes, long nowTicks)
    {
        _tally.ToClient(transport, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void MarkReceived(long nowTicks) => Volatile.Write(ref _lastReceivedTicks, nowTicks);
}
