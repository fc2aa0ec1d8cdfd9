namespace OpenTunnel.Gateway.Traffic;

/// <summary>
/// Where a session's packets towards its client go: its TLS connection or its DTLS channel, the
/// two transports' one common face. Which of them a session uses at a moment is decided by its
/// <see cref="Sessions.SessionDataPath"/>; the TLS one stays the fall-back, as openconnect moves
/// data back to TLS when DTLS dies (PROTOCOL.md §4).
/// </summary>
public interface IPacketSink
{
    /// <summary>What the sessions listing shows: "TLS" or "DTLS".</summary>
    string Name { get; }

    /// <summary>
    /// Queues or collects an IP packet for the client without waiting. The sink owns the packet's
    /// buffer from here on in every case. False when the packet was dropped because the client's
    /// queue is full or the transport is closing: a slow client must never hold up the TUN reader.
    /// The packet may wait in the sink until <see cref="Flush"/>.
    /// </summary>
    bool TrySend(OutboundPacket packet);

    /// <summary>
    /// Sends what <see cref="TrySend"/> collected; the caller calls it once it has handed over the
    /// packets it had: the DTLS sink sends them to the client in one system call, the TLS sink
    /// wakes its writer.
    /// </summary>
    void Flush();
}
