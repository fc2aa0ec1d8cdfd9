using System.Net;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Configuration;

/// <summary>
/// What one session is given and, with group policies, held to: its split routes (none included:
/// all traffic) and its DNS. <see cref="Resolve"/> computes it from the groups in the user's token.
/// </summary>
public sealed record SessionPolicy(IReadOnlyList<IPNetwork> SplitInclude, IReadOnlyList<IPNetwork> SplitExclude, IReadOnlyList<IPAddress> DnsServers, string? DefaultDomain)
{
    /// <summary>True when the session's traffic all goes through the tunnel (no include route).</summary>
    public bool AllTraffic => SplitInclude.Count == 0;

    /// <summary>
    /// The policy of a user in <paramref name="groups"/>: the defaults when no group of
    /// <paramref name="policies"/> matches; else the union over the matching groups, where each
    /// group's routes are its own (<see cref="GroupPolicy.ReplaceRoutes"/>) or its own added to the
    /// defaults. A group with all traffic (no include route of its own and replacing, or adding to
    /// defaults that have none) makes the union all traffic. Exclude routes are the union of the
    /// matching groups' excludes. DNS servers are the matching groups' own, in the order of
    /// <paramref name="policies"/>, up to <paramref name="maxDnsServers"/>, or the defaults when
    /// none names any; the DNS suffix is that of the first matching group that has one, else the default.
    /// </summary>
    public static SessionPolicy Resolve(SessionPolicy defaults, IReadOnlyList<GroupPolicy> policies, IReadOnlyList<string> groups, int maxDnsServers)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(groups);
        var includes = new List<IReadOnlyList<IPNetwork>>();
        var excludes = new List<IReadOnlyList<IPNetwork>>();
        var dns = new List<IPAddress>();
        string? domain = null;
        bool allTraffic = false;
        foreach (GroupPolicy policy in policies)
        {
            if (!Contains(groups, policy.Group))
            {
                continue;
            }

            IReadOnlyList<IPNetwork> include = policy.ReplaceRoutes ? policy.SplitInclude : RouteUnion.Of([defaults.SplitInclude, policy.SplitInclude]);
            allTraffic |= include.Count == 0;
            includes.Add(include);
            excludes.Add(policy.ReplaceRoutes ? policy.SplitExclude : RouteUnion.Of([defaults.SplitExclude, policy.SplitExclude]));
            foreach (IPAddress server in policy.DnsServers)
            {
                if (dns.Count < maxDnsServers && !dns.Contains(server))
                {
                    dns.Add(server);
                }
            }

            domain ??= policy.DefaultDomain;
        }

        if (includes.Count == 0)
        {
            return defaults;
        }

        return new SessionPolicy(
            allTraffic ? [] : RouteUnion.Of(includes),
            RouteUnion.Of(excludes),
            dns.Count > 0 ? dns : defaults.DnsServers,
            domain ?? defaults.DefaultDomain);
    }

    private static bool Contains(IReadOnlyList<string> groups, string group)
    {
        foreach (string candidate in groups)
        {
            if (string.Equals(candidate, group, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One group's routes and DNS, parsed from a validated <see cref="GroupPolicyOptions"/>.</summary>
public sealed record GroupPolicy(string Group, IReadOnlyList<IPNetwork> SplitInclude, IReadOnlyList<IPNetwork> SplitExclude, bool ReplaceRoutes, IReadOnlyList<IPAddress> DnsServers, string? DefaultDomain)
{
    public static GroupPolicy From(GroupPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new GroupPolicy(
            options.Group,
            [.. options.SplitInclude.Select(IPNetwork.Parse)],
            [.. options.SplitExclude.Select(IPNetwork.Parse)],
            options.ReplaceRoutes,
            [.. options.DnsServers.Select(IPAddress.Parse)],
            options.DefaultDomain);
    }
}
