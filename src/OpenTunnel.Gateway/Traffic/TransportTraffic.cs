namespace OpenTunnel.Gateway.Traffic;

/// <summary>Data packets and their IP bytes each way over one transport, as read at one moment.</summary>
public readonly record struct TransportTraffic(long PacketsFromClient, long BytesFromClient, long PacketsToClient, long BytesToClient)
{
    /// <summary>What went through between <paramref name="earlier"/> and this reading.</summary>
    public TransportTraffic Since(TransportTraffic earlier) => new(
        PacketsFromClient - earlier.PacketsFromClient,
        BytesFromClient - earlier.BytesFromClient,
        PacketsToClient - earlier.PacketsToClient,
        BytesToClient - earlier.BytesToClient);
}

/// <summary>
/// The cells behind <see cref="TransportTraffic"/>, one per <see cref="Transport"/>, bumped with
/// Interlocked (no allocation); what <see cref="SessionTraffic"/> and <see cref="PacketCounters"/>
/// both count packets with.
/// </summary>
internal sealed class TransportTally
{
    private readonly Cells[] _cells = new Cells[Enum.GetValues<Transport>().Length];

    public long PacketsFromClient => Read(Transport.Tls).PacketsFromClient + Read(Transport.Dtls).PacketsFromClient;

    public long BytesFromClient => Read(Transport.Tls).BytesFromClient + Read(Transport.Dtls).BytesFromClient;

    public long PacketsToClient => Read(Transport.Tls).PacketsToClient + Read(Transport.Dtls).PacketsToClient;

    public long BytesToClient => Read(Transport.Tls).BytesToClient + Read(Transport.Dtls).BytesToClient;

    public void FromClient(Transport transport, int bytes)
    {
        ref var cells = ref _cells[(int)transport];
        Interlocked.Increment(ref cells.PacketsFromClient);
        Interlocked.Add(ref cells.BytesFromClient, bytes);
    }

    public void ToClient(Transport transport, int bytes)
    {
        ref var cells = ref _cells[(int)transport];
        Interlocked.Increment(ref cells.PacketsToClient);
        Interlocked.Add(ref cells.BytesToClient, bytes);
    }

    public TransportTraffic Read(Transport transport)
    {
        ref var cells = ref _cells[(int)transport];
        return new TransportTraffic(
            Interlocked.Read(ref cells.PacketsFromClient),
            Interlocked.Read(ref cells.BytesFromClient),
            Interlocked.Read(ref cells.PacketsToClient),
            Interlocked.Read(ref cells.BytesToClient));
    }

    private struct Cells
    {
        public long PacketsFromClient;
        public long BytesFromClient;
        public long PacketsToClient;
        public long BytesToClient;
    }
}
