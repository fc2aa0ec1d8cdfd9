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

    /// <summary>How a device tells it is on a trusted network, where the on-demand rules connect nothing; null: no network is trusted.</summary>
    public TrustedNetworkDetection? TrustedNetwork { get; set; }

    /// <summary>An on-demand tunnel without traffic for this many seconds is taken down; null: it stays up.</summary>
    public int? OnDemandIdleSeconds { get; set; }

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

/// <summary>
/// A trusted network: one whose DNS suffix (the search domain the network gives the device) is in
/// <see cref="DnsSuffixes"/>, or where <see cref="ProbeUrl"/> answers <see cref="ProbeStatus"/>
/// (a URL only the internal network serves).
/// </summary>
public sealed record TrustedNetworkDetection(List<string> DnsSuffixes, string? ProbeUrl, int? ProbeStatus);

/// <summary>Either a PAC file URL, or a proxy host and port with hosts that bypass it.</summary>
public sealed record ProxySettings(string? PacUrl, string? Host, int? Port, List<string> Exclusions);
