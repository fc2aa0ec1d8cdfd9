using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>Latency to the site's internal probe: below the warning value healthy, up to the unhealthy value a warning, above it unhealthy.</summary>
public sealed class LatencyPolicy : IServerHealthPolicy
{
    public string Name => "latency";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Latest?.LatencyMilliseconds is not { } latency)
        {
            return null;
        }

        double warning = input.Thresholds.LatencyWarningMilliseconds;
        double unhealthy = input.Thresholds.LatencyUnhealthyMilliseconds;
        ServerHealth state = latency > unhealthy ? ServerHealth.Unhealthy : latency >= warning ? ServerHealth.Warning : ServerHealth.Healthy;
        string limit = state switch
        {
            ServerHealth.Unhealthy => $"above {unhealthy:0.#} ms is unhealthy",
            ServerHealth.Warning => $"{warning:0.#} ms and more is a warning",
            _ => $"below {warning:0.#} ms is healthy",
        };
        return new HealthCheck(Name, state, string.Create(CultureInfo.InvariantCulture, $"Latency to the internal network is {latency:0.##} ms ({limit})."));
    }
}
