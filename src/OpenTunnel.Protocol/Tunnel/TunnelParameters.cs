using System.Net;

namespace OpenTunnel.Protocol.Tunnel;

/// <summary>
/// Everything the CONNECT response tells the client about its tunnel (openconnect cstp.c reads
/// these into the vpnc-script environment: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS,
/// CISCO_DEF_DOMAIN, CISCO_SPLIT_INC_*...).
/// </summary>
public sealed record TunnelParameters
{
    public required IPAddress IPv4Address { get; init; }

    /// <summary>The prefix length of the pool; sent as a dotted netmask (X-CSTP-Netmask).</summary>
    public required int IPv4PrefixLength { get; init; }

    /// <summary>The leased IPv6 address, when the gateway has an IPv6 pool and the client asked for IPv6.</summary>
    public IPAddress? IPv6Address { get; init; }

    public int IPv6PrefixLength { get; init; } = 128;

    /// <summary>At most three in total (openconnect keeps three); IPv6 ones go in X-CSTP-DNS-IP6.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    public string? DefaultDomain { get; init; }

    public IReadOnlyList<string> SplitDns { get; init; } = [];

    /// <summary>No include at all means the client routes everything through the tunnel.</summary>
    public IReadOnlyList<IPNetwork> SplitInclude { get; init; } = [];

    public IReadOnlyList<IPNetwork> SplitExclude { get; init; } = [];

    public required int LinkMtu { get; init; }

    public required int DataMtu { get; init; }

    public required int KeepaliveSeconds { get; init; }

    public required int DpdSeconds { get; init; }

    /// <summary>0: no idle timeout (the header is left out).</summary>
    public int IdleTimeoutSeconds { get; init; }

    /// <summary>0: no session timeout (the header is left out).</summary>
    public int SessionTimeoutSeconds { get; init; }

    public string? Banner { get; init; }
}
