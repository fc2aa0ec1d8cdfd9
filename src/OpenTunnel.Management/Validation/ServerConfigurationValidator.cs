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
