using System.Net;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>What the gateway's nftables table enforces; built from a validated configuration.</summary>
public sealed record FirewallPolicy
{
    /// <summary>
    /// Cloud instance metadata services (AWS, Azure, Google, OCI: 169.254.169.254; AWS over IPv6:
    /// fd00:ec2::254). Reached from the gateway they answer with the gateway's own credentials.
    /// </summary>
    public static readonly IReadOnlyList<IPAddress> MetadataServices = [IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00:ec2::254")];

    public required string TunDevice { get; init; }

    public required IPNetwork Pool { get; init; }

    public IPNetwork? Pool6 { get; init; }

    /// <summary>Interfaces the pools are masqueraded towards; empty: every interface but the TUN device.</summary>
    public IReadOnlyList<string> EgressInterfaces { get; init; } = [];

    public bool AllowClientToClient { get; init; }

    /// <summary>Let clients reach the gateway host's own addresses and the metadata services (<see cref="NetworkOptions.AllowClientToHost"/>).</summary>
    public bool AllowClientToHost { get; init; }

    /// <summary>Let clients reach only <see cref="SplitInclude"/> minus <see cref="SplitExclude"/> (<see cref="NetworkOptions.RestrictToRoutes"/>).</summary>
    public bool RestrictToRoutes { get; init; }

    public IReadOnlyList<IPNetwork> SplitInclude { get; init; } = [];

    public IReadOnlyList<IPNetwork> SplitExclude { get; init; } = [];

    /// <summary>The DNS servers pushed to clients (of every group): always reachable on port 53, also on the gateway host and outside the routes.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>
    /// Each session is held to its own routes (<see cref="SessionRules"/>, Network:GroupPolicies and Network:UnmanagedAccess),
    /// in place of the table-wide <see cref="RestrictToRoutes"/> rules.
    /// </summary>
    public bool PerSession { get; init; }

    public static FirewallPolicy From(string tunDevice, TunnelSettings tunnel, NetworkOptions network) => new()
    {
        TunDevice = tunDevice,
        Pool = tunnel.Pool,
        Pool6 = tunnel.IPv6Pool,
        EgressInterfaces = network.EgressInterfaces,
        AllowClientToClient = network.AllowClientToClient,
        AllowClientToHost = network.AllowClientToHost,
        RestrictToRoutes = network.RestrictToRoutes,
        SplitInclude = tunnel.SplitInclude,
        SplitExclude = tunnel.SplitExclude,
        DnsServers = [.. tunnel.DnsServers.Concat(tunnel.GroupPolicies.SelectMany(g => g.DnsServers)).Concat(tunnel.Unmanaged?.DnsServers ?? []).Distinct()],
        PerSession = tunnel.PerSessionPolicies,
    };
}
