namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// Gateway-wide packet and byte counters, bumped with Interlocked on the data path (no
/// allocation) and read by the metrics exporter when it is scraped.
/// </summary>
public sealed class PacketCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _packetsFromClients;
    private long _bytesFromClients;
    private long _packetsToClients;
    private long _bytesToClients;

    public long PacketsFromClients => Interlocked.Read(ref _packetsFromClients);

    public long BytesFromClients => Interlocked.Read(ref _bytesFromClients);

    public long PacketsToClients => Interlocked.Read(ref _packetsToClients);

    public long BytesToClients => Interlocked.Read(ref _bytesToClients);

    public void CountFromClient(int bytes)
    {
        Interlocked.Increment(ref _packetsFromClients);
        Interlocked.Add(ref _bytesFromClients, bytes);
    }

    public void CountToClient(int bytes)
    {
        Interlocked.Increment(ref _packetsToClients);
        Interlocked.Add(ref _bytesToClients, bytes);
    }

    public void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);
}
