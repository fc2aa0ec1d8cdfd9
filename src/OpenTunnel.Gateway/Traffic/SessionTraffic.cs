namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// The one set of traffic counters of a session, whichever transport carried the packets:
/// packets and bytes each way, the last data packet (for the idle timeout) and the last thing
/// received (for the dead-peer check). Bumped with Interlocked from the data path, no allocation.
/// </summary>
public sealed class SessionTraffic
{
    private long _bytesFromClient;
    private long _bytesToClient;
    private long _packetsFromClient;
    private long _packetsToClient;
    private long _lastReceivedTicks;
    private long _lastDataTicks;

    public SessionTraffic(DateTimeOffset start)
    {
        _lastDataTicks = start.UtcTicks;
        _lastReceivedTicks = start.UtcTicks;
    }

    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    public long PacketsFromClient => Interlocked.Read(ref _packetsFromClient);

    public long PacketsToClient => Interlocked.Read(ref _packetsToClient);

    /// <summary>Last time anything (data or control) arrived from the client.</summary>
    public DateTimeOffset LastReceived => new(Interlocked.Read(ref _lastReceivedTicks), TimeSpan.Zero);

    /// <summary>Last time a data packet went either way (for the idle timeout).</summary>
    public DateTimeOffset LastData => new(Interlocked.Read(ref _lastDataTicks), TimeSpan.Zero);

    public void CountFromClient(int bytes, long nowTicks)
    {
        Interlocked.Increment(ref _packetsFromClient);
        Interlocked.Add(ref _bytesFromClient, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void CountToClient(int bytes, long nowTicks)
    {
        Interlocked.Increment(ref _packetsToClient);
        Interlocked.Add(ref _bytesToClient, bytes);
        Volatile.Write(ref _lastDataTicks, nowTicks);
    }

    public void MarkReceived(long nowTicks) => Volatile.Write(ref _lastReceivedTicks, nowTicks);
}
