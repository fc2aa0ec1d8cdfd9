namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// MTU arithmetic of the DTLS channel as ocserv does it (worker-vpn.c, <c>calc_mtu_values</c>
/// and <c>DATA_MTU</c>): the data MTU is the link MTU less the IP and UDP headers, the DTLS
/// record overhead of the suite (37 for DTLS 1.2 AES-GCM) and the one-byte CSTP header.
/// </summary>
public static class DtlsMtu
{
    /// <summary>IPv4 header without options.</summary>
    public const int IPv4HeaderLength = 20;

    /// <summary>IPv6 fixed header.</summary>
    public const int IPv6HeaderLength = 40;

    /// <summary>UDP header.</summary>
    public const int UdpHeaderLength = 8;

    /// <summary>The CSTP type byte in front of every DTLS payload.</summary>
    public const int CstpHeaderLength = 1;

    /// <summary>
    /// The largest IP packet one DTLS record carries over a link of <paramref name="linkMtu"/>
    /// bytes when the client reaches the gateway over IPv6 (<paramref name="ipv6"/>) or IPv4:
    /// what the gateway sends as <c>X-DTLS-MTU</c> and <c>X-CSTP-MTU</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The link MTU leaves no room for data.</exception>
    public static int DataMtu(int linkMtu, bool ipv6)
    {
        int overhead = (ipv6 ? IPv6HeaderLength : IPv4HeaderLength) + UdpHeaderLength + DtlsRecordProtection.Overhead + CstpHeaderLength;
        if (linkMtu <= overhead)
        {
            throw new ArgumentOutOfRangeException(nameof(linkMtu), linkMtu, $"A link MTU must exceed the DTLS overhead of {overhead} bytes.");
        }

        return linkMtu - overhead;
    }
}
