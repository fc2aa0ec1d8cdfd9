using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>
/// The facts one health evaluation of a server sees: its latest telemetry sample, when it last
/// checked in, what its agent reported about configuration, the thresholds and the time.
/// </summary>
public sealed record HealthInput(TelemetrySample? Latest, DateTime? LastCheckIn, AgentStatus? Agent, HealthThresholds Thresholds, DateTime Now);

/// <summary>The verdict of one policy: the check's name, its state and a reason a person can act on.</summary>
public sealed record HealthCheck(string Name, ServerHealth State, string Reason);

/// <summary>A server's state: the worst of its checks, and every check that is not healthy as a reason.</summary>
public sealed record ServerHealthReport(ServerHealth State, IReadOnlyList<HealthCheck> Checks)
{
    public IReadOnlyList<string> Reasons { get; } = ReasonsOf(State, Checks);

    private static string[] ReasonsOf(ServerHealth state, IReadOnlyList<HealthCheck> checks)
    {
        var reasons = new List<string>();
        foreach (HealthCheck check in checks)
        {
            if (check.State != ServerHealth.Healthy)
            {
                reasons.Add(check.Reason);
            }
        }

        return state == ServerHealth.Healthy ? [] : [.. reasons];
    }
}
