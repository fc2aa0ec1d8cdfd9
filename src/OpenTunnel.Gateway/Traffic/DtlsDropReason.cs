namespace OpenTunnel.Gateway.Traffic;

/// <summary>Why the listener dropped a datagram or record (the <c>reason</c> tag of <c>opentunnel.gateway.dtls.dropped</c>).</summary>
public enum DtlsDropReason
{
    /// <summary>From an address with no channel, and neither a ClientHello nor re-matched to a rebound client.</summary>
    UnknownPeer,

    /// <summary>A ClientHello whose session id names no live session.</summary>
    UnknownSession,

    /// <summary>Not a well-formed DTLS 1.2 record.</summary>
    Malformed,

    /// <summary>Did not authenticate under the channel's keys.</summary>
    AuthenticationFailed,

    /// <summary>A sequence number already received, or older than the replay window.</summary>
    Replayed,

    /// <summary>A record of another epoch than the channel's.</summary>
    WrongEpoch,

    /// <summary>A ClientHello while <c>Udp:MaxConcurrentHandshakes</c> handshakes were running.</summary>
    HandshakesBusy,

    /// <summary>A datagram for a running handshake whose queue was full.</summary>
    HandshakeQueueFull,

    /// <summary>An authentic record the channel has no use for (an unknown CSTP type, a late handshake record).</summary>
    Unexpected,
}
