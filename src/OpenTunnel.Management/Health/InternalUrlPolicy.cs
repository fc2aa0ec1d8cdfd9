using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>The site's internal probe URL must answer: a server that cannot reach the internal network is unhealthy.</summary>
public sealed class InternalUrlPolicy : IServerHealthPolicy
{
    public string Name => "internal-url";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Latest?.InternalUrlReachable is not { } reachable)
        {
            return null;
        }

        string at = input.Latest.InternalUrlCheckedAt is { } checkedAt ? string.Create(CultureInfo.InvariantCulture, $" (checked at {checkedAt:u})") : string.Empty;
        return reachable
            ? new HealthCheck(Name, ServerHealth.Healthy, $"The internal probe URL answers{at}.")
            : new HealthCheck(Name, ServerHealth.Unhealthy, $"The internal probe URL is unreachable{at}: {input.Latest.InternalUrlError ?? "no answer"}.");
    }
}
