using System.Net;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Configuration;

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
        IPv6Pool = network.IPv6Pool is null ? null : IPNetwork.Parse(network.IPv6Pool);
        DnsServers = [.. network.DnsServers.Select(IPAddress.Parse)];
        SplitInclude = [.. network.SplitInclude.Select(IPNetwork.Parse)];
        SplitExclude = [.. network.SplitExclude.Select(IPNetwork.Parse)];
        DefaultDomain = network.DefaultDomain;
        SplitDns = network.SplitDns;
        Mtu = network.Mtu;
        Timeouts = options.Timeouts;
        Banner = options.Banner;
        GroupPolicies = [.. network.GroupPolicies.Select(GroupPolicy.From)];
        Defaults = new SessionPolicy(SplitInclude, SplitExclude, DnsServers, DefaultDomain);
        Unmanaged = network.UnmanagedAccess is { } access
            ? new SessionPolicy(
                [.. access.SplitInclude.Select(IPNetwork.Parse)],
                [],
                access.DnsServers.Count > 0 ? [.. access.DnsServers.Select(IPAddress.Parse)] : DnsServers,
                access.DefaultDomain ?? DefaultDomain)
            : null;
    }

    public IPNetwork Pool { get; }

    /// <summary>The IPv6 pool, or null when the gateway is IPv4 only.</summary>
    public IPNetwork? IPv6Pool { get; }

    public IReadOnlyList<IPAddress> DnsServers { get; }

    public IReadOnlyList<IPNetwork> SplitInclude { get; }

    public IReadOnlyList<IPNetwork> SplitExclude { get; }

    public string? DefaultDomain { get; }

    public IReadOnlyList<string> SplitDns { get; }

    public int Mtu { get; }

    /// <summary>Routes and DNS per group (Network:GroupPolicies); empty: every session gets <see cref="Defaults"/>.</summary>
    public IReadOnlyList<GroupPolicy> GroupPolicies { get; }

    /// <summary>The routes and DNS of a user in no listed group.</summary>
    public SessionPolicy Defaults { get; }

    /// <summary>The routes and DNS of a session of an unmanaged device (Network:UnmanagedAccess); null: such sessions are refused.</summary>
    public SessionPolicy? Unmanaged { get; }

    /// <summary>True when sessions are held to their own routes in the nftables table (any group policy is listed, or unmanaged access).</summary>
    public bool PerSessionPolicies => GroupPolicies.Count > 0 || Unmanaged is not null;

    public TimeoutOptions Timeouts { get; }

    public string? Banner { get; }

    /// <summary>The data MTU of the gateway's TUN device: what a client with a full-size link gets.</summary>
    public int TunMtu => TunnelMtu.Compute(Mtu, null, null, ipv6Transport: false).DataMtu;

    /// <summary>Builds from options that <see cref="GatewayOptionsValidator"/> accepted.</summary>
    public static TunnelSettings From(GatewayOptions options) => new(options);

    /// <summary>
    /// The routes and DNS of a user in <paramref name="groups"/> (<see cref="SessionPolicy.Resolve"/>),
    /// or, on an <paramref name="unmanaged"/> device, <see cref="Unmanaged"/> whatever the groups
    /// (null when this configuration gives unmanaged devices no access).
    /// </summary>
    public SessionPolicy? PolicyFor(IReadOnlyList<string> groups, bool unmanaged) =>
        unmanaged ? Unmanaged : SessionPolicy.Resolve(Defaults, GroupPolicies, groups, Protocol.Tunnel.ConnectResponse.MaxDnsServers);

    /// <summary>The CONNECT answer's parameters for a session holding <paramref name="address"/> (and <paramref name="address6"/>, 0 for none) with <paramref name="policy"/>'s routes and DNS.</summary>
    public TunnelParameters For(uint address, Ipv6Number address6, ConnectRequest request, int? pathMtu, bool ipv6Transport, SessionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var (link, data) = TunnelMtu.Compute(Mtu, request.BaseMtu, pathMtu, ipv6Transport);
        return new TunnelParameters
        {
            IPv4Address = IPv4AddressPool.ToAddress(address),
            IPv4PrefixLength = Pool.PrefixLength,
            IPv6Address = address6.ToAddressOrNull(),
            IPv6PrefixLength = IPv6Pool?.PrefixLength ?? 128,
            DnsServers = policy.DnsServers,
            DefaultDomain = policy.DefaultDomain,
            SplitDns = SplitDns,
            SplitInclude = policy.SplitInclude,
            SplitExclude = policy.SplitExclude,
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
