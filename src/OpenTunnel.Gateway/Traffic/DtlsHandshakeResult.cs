namespace OpenTunnel.Gateway.Traffic;

/// <summary>How a DTLS handshake ended (the <c>result</c> tag of <c>opentunnel.gateway.dtls.handshakes</c>).</summary>
public enum DtlsHandshakeResult
{
    Succeeded,

    /// <summary>Ended by an alert or an error (wrong master secret, unsupported offer).</summary>
    Failed,

    /// <summary>Did not finish within <c>Udp:HandshakeTimeoutSeconds</c>.</summary>
    TimedOut,
}
