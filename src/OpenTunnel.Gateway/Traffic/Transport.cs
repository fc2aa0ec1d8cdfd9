namespace OpenTunnel.Gateway.Traffic;

/// <summary>Which transport carried a data packet between a client and the gateway.</summary>
public enum Transport
{
    /// <summary>CSTP over the TLS connection.</summary>
    Tls,

    /// <summary>CSTP over the DTLS channel (UDP).</summary>
    Dtls,
}
