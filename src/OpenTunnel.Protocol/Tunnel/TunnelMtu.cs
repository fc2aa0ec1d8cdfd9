namespace OpenTunnel.Protocol.Tunnel;

/// <summary>
/// The tunnel MTU as ocserv computes it (worker-vpn.c <c>connect_handler</c>, <c>DATA_MTU</c>):
/// the link MTU is the smallest of the configured MTU, the client's X-CSTP-Base-MTU (when sane)
/// and the path MTU seen on the TCP connection; the data MTU leaves room for the IP and UDP
/// headers, a DTLS 1.2 AES-GCM record and the one-byte DTLS CSTP header, so the same inner MTU
/// fits both the TLS and the DTLS channel. With a 1500-byte link that gives 1434, as ocserv.
/// </summary>
public static class TunnelMtu
{
    /// <summary>DTLS 1.2 record header (13) + AES-GCM explicit nonce (8) + tag (16).</summary>
    public const int DtlsRecordOverhead = 37;

    /// <summary>The one-byte CSTP header of a DTLS record.</summary>
    public const int DtlsCstpHeader = 1;

    public const int IPv4UdpHeaders = 20 + 8;

    public const int IPv6UdpHeaders = 40 + 8;

    /// <summary>Client base MTUs below this are ignored as not sane (the IPv4 minimum reassembly size).</summary>
    public const int MinimumSaneLinkMtu = 576;

    /// <summary>Returns the link MTU (X-CSTP-Base-MTU) and the data MTU (X-CSTP-MTU).</summary>
    public static (int LinkMtu, int DataMtu) Compute(int configuredMtu, int? clientBaseMtu, int? pathMtu, bool ipv6Transport)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(configuredMtu, MinimumSaneLinkMtu);
        int link = configuredMtu;
        if (clientBaseMtu is int client && client >= MinimumSaneLinkMtu)
        {
            link = Math.Min(link, client);
        }

        if (pathMtu is int path && path >= MinimumSaneLinkMtu)
        {
            link = Math.Min(link, path);
        }

        int data = link - (ipv6Transport ? IPv6UdpHeaders : IPv4UdpHeaders) - DtlsRecordOverhead - DtlsCstpHeader;
        return (link, data);
    }
}
