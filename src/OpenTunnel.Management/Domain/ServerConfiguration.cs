namespace OpenTunnel.Management.Domain;

/// <summary>
/// The settings every gateway server of a site applies: address pool, DNS, split tunnelling,
/// listening port and session limits. Its <see cref="ManagedObject.Version"/> is the
/// configuration version that servers report as applied.
/// </summary>
public sealed class ServerConfiguration : ManagedObject, INamedObject
{
    /// <summary>The pool the product uses when an administrator names none (Microsoft Tunnel's default).</summary>
    public const string DefaultIpv4Range = "169.254.0.0/16";

    public const int DefaultPort = 443;

    /// <summary>ocserv's default idle-timeout is 1200 s.</summary>
    public const int DefaultIdleTimeoutMinutes = 20;

    /// <summary>Split-tunnel include and exclude routes together; the limit Microsoft Tunnel documents.</summary>
    public const int MaximumSplitRoutes = 500;

    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    public string Ipv4Range { get; set; } = DefaultIpv4Range;

    public string? Ipv6Range { get; set; }

    public List<string> DnsServers { get; set; } = [];

    public List<string> DnsSuffixes { get; set; } = [];

    public List<string> SplitDnsDomains { get; set; } = [];

    public List<string> IncludeRoutes { get; set; } = [];

    public List<string> ExcludeRoutes { get; set; } = [];

    public int Port { get; set; } = DefaultPort;

    public bool UdpDisabled { get; set; }

    /// <summary>Longest session in minutes; null for no limit.</summary>
    public int? SessionTimeoutMinutes { get; set; }

    public int IdleTimeoutMinutes { get; set; } = DefaultIdleTimeoutMinutes;

    public bool AllowClientToClient { get; set; }

    /// <summary>Load-aware sign-in without a load balancer; null: off (every server serves the sign-ins it gets).</summary>
    public LoadBalancingSettings? LoadBalancing { get; set; }

    /// <summary>
    /// Routes and DNS per group of the user's token (like ocserv's config-per-group), enforced per
    /// session at the gateways; null or empty: every user gets the settings above.
    /// </summary>
    public List<GroupPolicySettings>? GroupPolicies { get; set; }

    /// <summary>
    /// What users on unmanaged devices (signed in without enrolling, where a conditional-access
    /// policy allows unenrolled devices) may reach, enforced per session at the gateways; null:
    /// the gateways refuse their tokens.
    /// </summary>
    public UnmanagedAccessSettings? UnmanagedAccess { get; set; }
}

/// <summary>
/// The routes and DNS of sessions of unmanaged devices: <see cref="IncludeRoutes"/> are the only
/// destinations they reach (at least one); group policies do not apply to them. No DNS servers or
/// suffix: the configuration's.
/// </summary>
public sealed record UnmanagedAccessSettings(
    List<string>? IncludeRoutes = null,
    List<string>? DnsServers = null,
    string? DnsSuffix = null);

/// <summary>
/// The routes and DNS of the members of <see cref="Group"/> (a group name as the token's groups
/// claim carries it). The group's routes add to the configuration's (<see cref="ReplaceRoutes"/>
/// false) or replace them; no DNS servers or suffix: the configuration's. A user in several listed
/// groups gets the union of their routes and DNS servers.
/// </summary>
public sealed record GroupPolicySettings(
    string Group,
    List<string>? IncludeRoutes = null,
    List<string>? ExcludeRoutes = null,
    bool ReplaceRoutes = false,
    List<string>? DnsServers = null,
    string? DnsSuffix = null);

/// <summary>
/// How the servers of a site share new sign-ins without a load balancer. <see cref="Mode"/> "off" or
/// "redirect": a server holding at least <see cref="ThresholdPercent"/> more sessions than the
/// least-loaded healthy peer of its site (or a drained server) redirects a new sign-in there.
/// </summary>
public sealed record LoadBalancingSettings(string Mode = LoadBalancingSettings.Off, int ThresholdPercent = LoadBalancingSettings.DefaultThresholdPercent)
{
    public const string Off = "off";

    public const string Redirect = "redirect";

    public const int DefaultThresholdPercent = 20;

    public const int MaximumThresholdPercent = 1000;
}
