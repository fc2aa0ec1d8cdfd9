using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>More active sessions than the configured maximum is unhealthy; without a maximum there is nothing to judge.</summary>
public sealed class SessionLimitPolicy : IServerHealthPolicy
{
    public string Name => "sessions";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Thresholds.MaximumSessions is not { } maximum || input.Latest?.ActiveSessions is not { } sessions)
        {
            return null;
        }

        return sessions > maximum
            ? new HealthCheck(Name, ServerHealth.Unhealthy, string.Create(CultureInfo.InvariantCulture, $"{sessions} active sessions, more than the maximum of {maximum}."))
            : new HealthCheck(Name, ServerHealth.Healthy, string.Create(CultureInfo.InvariantCulture, $"{sessions} active sessions (maximum {maximum})."));
    }
}
