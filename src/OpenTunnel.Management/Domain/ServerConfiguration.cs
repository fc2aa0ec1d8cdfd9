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
}
