using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>
/// A gateway that refused the latest configuration still serves with the one before, which is a
/// warning: the administrator's change did not take effect there.
/// </summary>
public sealed class ConfigurationPolicy : IServerHealthPolicy
{
    public string Name => "configuration";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Agent is not { } agent || (agent.AppliedAt is null && agent.RefusedAt is null))
        {
            return null;
        }

        bool refusedLast = agent.RefusedAt is { } refused && (agent.AppliedAt is not { } applied || refused > applied);
        if (refusedLast)
        {
            string running = agent.AppliedConfigurationETag is { } etag ? $"it still runs {etag}" : "it runs its local configuration";
            return new HealthCheck(Name, ServerHealth.Warning, string.Create(CultureInfo.InvariantCulture, $"The gateway refused configuration {agent.RefusedConfigurationETag} at {agent.RefusedAt:u}: {agent.RefusalReason} ({running})."));
        }

        return new HealthCheck(Name, ServerHealth.Healthy, string.Create(CultureInfo.InvariantCulture, $"The gateway runs configuration {agent.AppliedConfigurationETag} since {agent.AppliedAt:u}."));
    }
}
