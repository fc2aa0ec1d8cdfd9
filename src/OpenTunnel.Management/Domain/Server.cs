namespace OpenTunnel.Management.Domain;

/// <summary>A gateway server, enrolled into exactly one site. Its agent reports state and health.</summary>
public sealed class Server : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public Guid SiteId { get; set; }

    public ServerState State { get; set; } = ServerState.Enrolling;

    public DateTime? LastCheckIn { get; set; }

    /// <summary>The software version the agent reports.</summary>
    public string? SoftwareVersion { get; set; }

    /// <summary>The version of the site's server configuration the gateway runs.</summary>
    public long? AppliedConfigurationVersion { get; set; }

    public ServerHealth Health { get; set; } = ServerHealth.Unknown;

    /// <summary>Why the health is what it is, as the agent reported it.</summary>
    public string? HealthDetails { get; set; }

    /// <summary>
    /// host:port where clients reach this server directly, not through the site's address; a
    /// server without one is never the target of another server's sign-in redirect.
    /// </summary>
    public string? PublicAddress { get; set; }
}

public enum ServerState
{
    Enrolling,
    Online,
    Offline,
    Draining,
}

public enum ServerHealth
{
    Unknown,
    Healthy,
    Warning,
    Unhealthy,
}
