using System.Net;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Tunnel;

/// <summary>
/// The tunnel part of a validated configuration, parsed once when it is applied, so each
/// CONNECT only fills in the session's address and MTU.
/// </summary>
public sealed class TunnelSettings
{
    private TunnelSettings(GatewayOptions options)
    {
        var network = options.Network;
        Pool = IPNetwork.Parse(network.IPv4Pool);
        DnsServers = [.. network.DnsServers.Select(IPAddress.Parse)];
        SplitInclude = [.. network.SplitInclude.Select(IPNetwork.Parse)];
        SplitExclude = [.. network.SplitExclude.Select(IPNetwork.Parse)];
        DefaultDomain = network.DefaultDomain;
        SplitDns = network.SplitDns;
        Mtu = network.Mtu;
        Timeouts = options.Timeouts;
        Banner = options.Banner;
    }

    public IPNetwork Pool { get; }

    public IReadOnlyList<IPAddress> DnsServers { get; }

    public IReadOnlyList<IPNetwork> SplitInclude { get; }

    public IReadOnlyList<IPNetwork> SplitExclude { get; }

    public string? DefaultDomain { get; }

    public IReadOnlyList<string> SplitDns { get; }

    public int Mtu { get; }

    public TimeoutOptions Timeouts { get; }

    public string? Banner { get; }

    /// <summary>The data MTU of the gateway's TUN device: what a client with a full-size link gets.</summary>
    public int TunMtu => TunnelMtu.Compute(Mtu, null, null, ipv6Transport: false).DataMtu;

    /// <summary>Builds from options that <see cref="GatewayOptionsValidator"/> accepted.</summary>
    public static TunnelSettings From(GatewayOptions options) => new(options);

    /// <summary>The CONNECT answer's parameters for a session holding <paramref name="address"/>.</summary>
    public TunnelParameters For(uint address, ConnectRequest request, int? pathMtu, bool ipv6Transport)
    {
        var (link, data) = TunnelMtu.Compute(Mtu, request.BaseMtu, pathMtu, ipv6Transport);
        return new TunnelParameters
        {
            IPv4Address = IPv4AddressPool.ToAddress(address),
            IPv4PrefixLength = Pool.PrefixLength,
            DnsServers = DnsServers,
            DefaultDomain = DefaultDomain,
            SplitDns = SplitDns,
            SplitInclude = SplitInclude,
            SplitExclude = SplitExclude,
            LinkMtu = link,
            DataMtu = data,
            KeepaliveSeconds = Timeouts.KeepaliveSeconds,
            DpdSeconds = Timeouts.DpdSeconds,
            IdleTimeoutSeconds = Timeouts.IdleTimeoutSeconds,
            SessionTimeoutSeconds = Timeouts.SessionTimeoutSeconds,
            Banner = Banner,
        };
    }
}
