namespace OpenTunnel.Management.Domain;

/// <summary>
/// The limits server health is judged by, one set for the deployment. The defaults are Microsoft
/// Tunnel's: check-in within 5 minutes; CPU and memory up to 95 % healthy, above it warning,
/// 100 % unhealthy; certificates more than 30 days from expiry healthy, within 30 days warning,
/// expired unhealthy; latency to the internal probe under 10 ms healthy, 10 to 20 ms warning,
/// above 20 ms unhealthy.
/// </summary>
public sealed class HealthThresholds : ManagedObject
{
    /// <summary>The one row's id.</summary>
    public static readonly Guid SingletonId = new("00000000-0000-0000-0000-000000000001");

    /// <summary>A server that has not sent telemetry for longer is offline and unhealthy. Default 5, 1 to 1440.</summary>
    public int CheckInMinutes { get; set; } = 5;

    /// <summary>CPU (5-minute average) above this is a warning. Default 95.</summary>
    public double CpuHealthyMaximumPercent { get; set; } = 95;

    /// <summary>CPU at or above this is unhealthy. Default 100.</summary>
    public double CpuUnhealthyPercent { get; set; } = 100;

    /// <summary>Memory in use above this is a warning. Default 95.</summary>
    public double MemoryHealthyMaximumPercent { get; set; } = 95;

    /// <summary>Memory in use at or above this is unhealthy. Default 100.</summary>
    public double MemoryUnhealthyPercent { get; set; } = 100;

    /// <summary>A TLS or agent certificate expiring within this many days is a warning; an expired one is unhealthy. Default 30.</summary>
    public int CertificateWarningDays { get; set; } = 30;

    /// <summary>Latency at or above this (ms) is a warning. Default 10.</summary>
    public double LatencyWarningMilliseconds { get; set; } = 10;

    /// <summary>Latency above this (ms) is unhealthy. Default 20.</summary>
    public double LatencyUnhealthyMilliseconds { get; set; } = 20;

    /// <summary>More active sessions than this is unhealthy; null for no limit. Default none.</summary>
    public int? MaximumSessions { get; set; }
}
