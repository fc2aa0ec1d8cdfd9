namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The one-byte header of a CSTP packet carried in a DTLS record (openconnect's AC_PKT_*): the
/// same type codes as CSTP over TLS, but a single byte instead of the 8-byte frame header, and
/// DPD and keepalive are that byte alone (DPD probes may carry padding).
/// </summary>
public enum DtlsPacketType : byte
{
    /// <summary>One IP packet follows.</summary>
    Data = 0,

    /// <summary>Dead-peer detection request; answered with <see cref="DpdResponse"/> carrying the same bytes (openconnect probes the MTU with padded requests).</summary>
    DpdRequest = 3,

    DpdResponse = 4,

    /// <summary>The client ends the session; the payload is a reason byte (0xB0: user) and text.</summary>
    Disconnect = 5,

    Keepalive = 7,
}
