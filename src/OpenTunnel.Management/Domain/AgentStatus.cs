namespace OpenTunnel.Management.Domain;

/// <summary>
/// What a server's agent last reported about its configuration: the version its gateway runs,
/// and the last version the gateway refused with the reason. One row per server.
/// </summary>
public sealed class AgentStatus
{
    public Guid ServerId { get; set; }

    public string? AppliedConfigurationETag { get; set; }

    public DateTime? AppliedAt { get; set; }

    /// <summary>What the administrator should know about the applied version, for example a change waiting for a gateway restart.</summary>
    public string? AppliedNote { get; set; }

    public string? RefusedConfigurationETag { get; set; }

    public DateTime? RefusedAt { get; set; }

    public string? RefusalReason { get; set; }

    /// <summary>The highest telemetry sequence number stored for the server.</summary>
    public long LastSequence { get; set; }
}
