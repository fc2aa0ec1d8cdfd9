using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>A server that has not sent telemetry within the check-in limit is unhealthy (offline).</summary>
public sealed class CheckInPolicy : IServerHealthPolicy
{
    public string Name => "check-in";

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.LastCheckIn is not { } last)
        {
            return null;
        }

        TimeSpan age = input.Now - last;
        int limit = input.Thresholds.CheckInMinutes;
        return age > TimeSpan.FromMinutes(limit)
            ? new HealthCheck(Name, ServerHealth.Unhealthy, string.Create(CultureInfo.InvariantCulture, $"No check-in for {age.TotalMinutes:0} minutes (the limit is {limit}); the last was at {last:u}."))
            : new HealthCheck(Name, ServerHealth.Healthy, string.Create(CultureInfo.InvariantCulture, $"Checked in {age.TotalSeconds:0} seconds ago."));
    }
}
