using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Contracts.Network;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Validation;

/// <summary>Checks a server configuration before it is stored (and before a gateway ever sees it).</summary>
public static class ServerConfigurationValidator
{
    /// <summary>Windows and macOS take at most a few DNS servers per interface; more is a typo.</summary>
    public const int MaximumDnsServers = 8;

    public const int MaximumMinutes = 525_600;

    /// <summary>The OpenConnect protocol's clients take three DNS servers (the gateway's X-CSTP-DNS limit).</summary>
    public const int MaximumGroupDnsServers = 3;

    public static ValidationErrors Validate(ServerConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new ValidationErrors();
        errors.RequireName("name", configuration.Name);
        IPNetwork? pool4 = ParsePool(errors, "ipv4Range", configuration.Ipv4Range, AddressFamily.InterNetwork);
        IPNetwork? pool6 = configuration.Ipv6Range is null
            ? null
            : ParsePool(errors, "ipv6Range", configuration.Ipv6Range, AddressFamily.InterNetworkV6);

        if (configuration.DnsServers.Count > MaximumDnsServers)
        {
            errors.Add("dnsServers", $"has {configuration.DnsServers.Count} entries; at most {MaximumDnsServers} are allowed.");
        }

        for (int i = 0; i < configuration.DnsServers.Count; i++)
        {
            if (!NetworkSyntax.TryParseAddress(configuration.DnsServers[i], out _))
            {
                errors.Add($"dnsServers[{i}]", $"'{configuration.DnsServers[i]}' is not an IPv4 or IPv6 address.");
            }
        }

        RequireDomainNames(errors, "dnsSuffixes", configuration.DnsSuffixes);
        RequireDomainNames(errors, "splitDnsDomains", configuration.SplitDnsDomains);

        int routes = configuration.IncludeRoutes.Count + configuration.ExcludeRoutes.Count;
        if (routes > ServerConfiguration.MaximumSplitRoutes)
        {
            errors.Add(
                "includeRoutes",
                $"include ({configuration.IncludeRoutes.Count}) and exclude ({configuration.ExcludeRoutes.Count}) routes add up to {routes}; at most {ServerConfiguration.MaximumSplitRoutes} are allowed together.");
        }

        ValidateRoutes(errors, "includeRoutes", configuration.IncludeRoutes, pool4, pool6);
        ValidateRoutes(errors, "excludeRoutes", configuration.ExcludeRoutes, pool4, pool6);

        ValidateGroupPolicies(errors, configuration, pool4, pool6);
        ValidateUnmanagedAccess(errors, configuration.UnmanagedAccess, pool4, pool6);
        errors.RequireRange("port", configuration.Port, 1, 65_535);
        if (configuration.SessionTimeoutMinutes is { } session)
        {
            errors.RequireRange("sessionTimeoutMinutes", session, 1, MaximumMinutes);
        }

        errors.RequireRange("idleTimeoutMinutes", configuration.IdleTimeoutMinutes, 1, MaximumMinutes);
        if (configuration.LoadBalancing is { } balancing)
        {
            if (balancing.Mode is not (LoadBalancingSettings.Off or LoadBalancingSettings.Redirect))
            {
                errors.Add("loadBalancing.mode", $"is '{balancing.Mode}'; it is \"{LoadBalancingSettings.Off}\" or \"{LoadBalancingSettings.Redirect}\" (redirect new sign-ins to the least-loaded healthy server of the site).");
            }

            errors.RequireRange("loadBalancing.thresholdPercent", balancing.ThresholdPercent, 0, LoadBalancingSettings.MaximumThresholdPercent);
        }

        return errors;
    }

    /// <summary>
    /// Each group policy by the configuration's own rules, once per group, with at most the DNS
    /// servers a client takes; and the routes a member of every listed group would get (the union
    /// of all groups' and the configuration's routes) within the route limit.
    /// </summary>
    private static void ValidateGroupPolicies(ValidationErrors errors, ServerConfiguration configuration, IPNetwork? pool4, IPNetwork? pool6)
    {
        if (configuration.GroupPolicies is not { Count: > 0 } policies)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int g = 0; g < policies.Count; g++)
        {
            string prefix = $"groupPolicies[{g}]";
            GroupPolicySettings? policy = policies[g];
            if (policy is null)
            {
                errors.Add(prefix, "is null; a group policy is an object with at least a group.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(policy.Group))
            {
                errors.Add($"{prefix}.group", "is required: the group's name as the token's groups claim carries it.");
            }
            else if (!names.Add(policy.Group))
            {
                errors.Add($"{prefix}.group", $"'{policy.Group}' has a policy already; give each group one.");
            }

            ValidateRoutes(errors, $"{prefix}.includeRoutes", policy.IncludeRoutes ?? [], pool4, pool6);
            ValidateRoutes(errors, $"{prefix}.excludeRoutes", policy.ExcludeRoutes ?? [], pool4, pool6);
            ValidateSessionDns(errors, prefix, policy.DnsServers ?? [], policy.DnsSuffix);
        }

        int union = GroupRouteUnion(configuration, policies);
        if (union > ServerConfiguration.MaximumSplitRoutes)
        {
            errors.Add("groupPolicies", $"a member of every group would get {union} include and exclude routes (the union of all groups' routes and the configuration's); at most {ServerConfiguration.MaximumSplitRoutes} are allowed.");
        }
    }

    /// <summary>
    /// The split routes counted against <see cref="ServerConfiguration.MaximumSplitRoutes"/>, as the
    /// checks above count them: the configuration's include and exclude routes, or with group policies
    /// the union a member of every group would get, whichever is more (the console shows it while typing).
    /// </summary>
    public static int CountedRoutes(ServerConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        int own = configuration.IncludeRoutes.Count + configuration.ExcludeRoutes.Count;
        return configuration.GroupPolicies is { Count: > 0 } policies ? Math.Max(own, GroupRouteUnion(configuration, policies)) : own;
    }

    /// <summary>How many include and exclude routes a member of every group gets: the union of all groups' routes and the configuration's.</summary>
    private static int GroupRouteUnion(ServerConfiguration configuration, List<GroupPolicySettings> policies)
    {
        var includes = new List<IReadOnlyList<IPNetwork>> { RouteUnion.Parse(configuration.IncludeRoutes) };
        var excludes = new List<IReadOnlyList<IPNetwork>> { RouteUnion.Parse(configuration.ExcludeRoutes) };
        foreach (GroupPolicySettings? policy in policies)
        {
            if (policy is not null)
            {
                includes.Add(RouteUnion.Parse(policy.IncludeRoutes ?? []));
                excludes.Add(RouteUnion.Parse(policy.ExcludeRoutes ?? []));
            }
        }

        return RouteUnion.Of(includes).Count + RouteUnion.Of(excludes).Count;
    }

    /// <summary>
    /// The access of unmanaged devices: at least one include route (none would mean all traffic),
    /// by the configuration's own rules, within the route limit, with at most the DNS servers a client takes.
    /// </summary>
    private static void ValidateUnmanagedAccess(ValidationErrors errors, UnmanagedAccessSettings? access, IPNetwork? pool4, IPNetwork? pool6)
    {
        if (access is null)
        {
            return;
        }

        const string Prefix = "unmanagedAccess";
        List<string> routes = access.IncludeRoutes ?? [];
        if (routes.Count == 0)
        {
            errors.Add($"{Prefix}.includeRoutes", "needs at least one route: the only destinations an unmanaged device may reach.");
        }
        else if (routes.Count > ServerConfiguration.MaximumSplitRoutes)
        {
            errors.Add($"{Prefix}.includeRoutes", $"has {routes.Count} routes; at most {ServerConfiguration.MaximumSplitRoutes} are allowed.");
        }

        ValidateRoutes(errors, $"{Prefix}.includeRoutes", routes, pool4, pool6);
        ValidateSessionDns(errors, Prefix, access.DnsServers ?? [], access.DnsSuffix);
    }

    /// <summary>The DNS servers (at most a client takes) and suffix of a group policy or of unmanaged access.</summary>
    private static void ValidateSessionDns(ValidationErrors errors, string prefix, List<string> dns, string? suffix)
    {
        if (dns.Count > MaximumGroupDnsServers)
        {
            errors.Add($"{prefix}.dnsServers", $"has {dns.Count} entries; clients take at most {MaximumGroupDnsServers}.");
        }

        for (int i = 0; i < dns.Count; i++)
        {
            if (!NetworkSyntax.TryParseAddress(dns[i], out _))
            {
                errors.Add($"{prefix}.dnsServers[{i}]", $"'{dns[i]}' is not an IPv4 or IPv6 address.");
            }
        }

        if (suffix is not null && !NetworkSyntax.IsDomainName(suffix))
        {
            errors.Add($"{prefix}.dnsSuffix", $"'{suffix}' is not a DNS domain name.");
        }
    }

    private static IPNetwork? ParsePool(ValidationErrors errors, string field, string? text, AddressFamily family)
    {
        string? problem = ClientPool.TryParse(text, family, out IPNetwork pool);
        if (problem is not null)
        {
            errors.Add(field, problem);
            return null;
        }

        return pool;
    }

    private static void RequireDomainNames(ValidationErrors errors, string field, List<string> names)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (!NetworkSyntax.IsDomainName(names[i]))
            {
                errors.Add($"{field}[{i}]", $"'{names[i]}' is not a DNS domain name.");
            }
        }
    }

    private static void ValidateRoutes(ValidationErrors errors, string field, List<string> routes, IPNetwork? pool4, IPNetwork? pool6) =>
        SplitRoutes.Check(routes, [pool4, pool6], i => $"{field}[{i}]", (i, problem) => errors.Add($"{field}[{i}]", problem));
}
