namespace OpenTunnel.Gateway.Tunnel;

/// <summary>
/// The path a session's packets take towards its client. Today that is the TLS connection
/// (<see cref="TlsChannel"/>); a DTLS channel can be put in its place per session with
/// <see cref="Sessions.GatewaySession.SetDataChannel"/>, and the TLS one stays the fall-back, as
/// openconnect moves data back to TLS when DTLS dies (PROTOCOL.md §4).
/// </summary>
public interface ISessionChannel
{
    /// <summary>What the sessions listing shows: "TLS" or "DTLS".</summary>
    string Name { get; }

    /// <summary>
    /// Queues an IP packet for the client without waiting. The channel owns the packet's buffer
    /// from here on in every case. False when the packet was dropped because the client's queue
    /// is full or the channel is closing: a slow client must never hold up the TUN reader.
    /// </summary>
    bool TrySend(OutboundPacket packet);
}
