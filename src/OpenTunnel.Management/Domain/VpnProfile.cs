namespace OpenTunnel.Management.Domain;

/// <summary>
/// What a device receives to connect to a site: the connection name users see, per-app and
/// always-on behaviour, on-demand rules and a proxy. Assigned to groups.
/// </summary>
public sealed class VpnProfile : ManagedObject, INamedObject
{
    /// <summary>The connection name users see.</summary>
    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    public Guid SiteId { get; set; }

    public Platform Platform { get; set; }

    /// <summary>Application identifiers whose traffic uses the tunnel; empty for the whole device.</summary>
    public List<string> PerAppIdentifiers { get; set; } = [];

    public bool AlwaysOn { get; set; }

    /// <summary>With <see cref="AlwaysOn"/>: while the profile is connected, the device lets nothing out but the tunnel and what brings it up (a kill switch).</summary>
    public bool Lockdown { get; set; }

    public List<OnDemandRule> OnDemandRules { get; set; } = [];

    public ProxySettings? Proxy { get; set; }

    public List<Guid> AssignedGroupIds { get; set; } = [];
}

/// <summary>An on-demand rule: when the device's destination matches, take the action.</summary>
public sealed record OnDemandRule(OnDemandMatch Match, List<string> Values, OnDemandAction Action);

public enum OnDemandMatch
{
    Fqdns,
    Domains,
    IpRanges,
}

public enum OnDemandAction
{
    Connect,
    Disconnect,
    Evaluate,
    Ignore,
}

/// <summary>Either a PAC file URL, or a proxy host and port with hosts that bypass it.</summary>
public sealed record ProxySettings(string? PacUrl, string? Host, int? Port, List<string> Exclusions);
