namespace OpenTunnel.Management.Domain;

/// <summary>
/// A group of gateway servers that share one public address (a server or the load balancer in
/// front of them) and one server configuration.
/// </summary>
public sealed class Site : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    /// <summary>IP address or FQDN that clients connect to.</summary>
    public string PublicAddress { get; set; } = string.Empty;

    public Guid ServerConfigurationId { get; set; }

    /// <summary>An internal URL the servers probe to report that they reach the internal network.</summary>
    public string? InternalProbeUrl { get; set; }

    public bool AutomaticUpgrade { get; set; }

    /// <summary>When automatic upgrades may run; null for any time.</summary>
    public MaintenanceWindow? MaintenanceWindow { get; set; }
}

/// <summary>
/// A daily window in a time zone (IANA id). It may cross midnight (start 22:00, end 02:00) and
/// lasts at least an hour, long enough to drain and upgrade one server.
/// </summary>
public sealed record MaintenanceWindow(string TimeZone, TimeOnly Start, TimeOnly End)
{
    public static readonly TimeSpan MinimumLength = TimeSpan.FromHours(1);

    /// <summary>The window's length; a window whose end is at or before its start crosses midnight.</summary>
    public TimeSpan Length => End > Start ? End - Start : TimeSpan.FromDays(1) - (Start - End);
}
