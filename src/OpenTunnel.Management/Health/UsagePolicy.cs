using System.Globalization;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>
/// A resource in use, in percent: up to the healthy maximum healthy, above it a warning, at or
/// above the unhealthy value unhealthy. One class serves CPU and memory, which follow the same rule.
/// </summary>
public sealed class UsagePolicy : IServerHealthPolicy
{
    public static readonly UsagePolicy Cpu = new(
        "cpu", "CPU use (5-minute average)", s => s.CpuPercent, t => t.CpuHealthyMaximumPercent, t => t.CpuUnhealthyPercent);

    public static readonly UsagePolicy Memory = new(
        "memory", "Memory use", s => s.MemoryPercent, t => t.MemoryHealthyMaximumPercent, t => t.MemoryUnhealthyPercent);

    private readonly string _what;
    private readonly Func<TelemetrySample, double?> _value;
    private readonly Func<HealthThresholds, double> _healthyMaximum;
    private readonly Func<HealthThresholds, double> _unhealthy;

    private UsagePolicy(string name, string what, Func<TelemetrySample, double?> value, Func<HealthThresholds, double> healthyMaximum, Func<HealthThresholds, double> unhealthy)
    {
        Name = name;
        _what = what;
        _value = value;
        _healthyMaximum = healthyMaximum;
        _unhealthy = unhealthy;
    }

    public string Name { get; }

    public HealthCheck? Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Latest is null || _value(input.Latest) is not { } percent)
        {
            return null;
        }

        double healthy = _healthyMaximum(input.Thresholds);
        double unhealthy = _unhealthy(input.Thresholds);
        ServerHealth state = percent >= unhealthy ? ServerHealth.Unhealthy : percent > healthy ? ServerHealth.Warning : ServerHealth.Healthy;
        string limit = state switch
        {
            ServerHealth.Unhealthy => $"at or above {unhealthy:0.#} % is unhealthy",
            ServerHealth.Warning => $"above {healthy:0.#} % is a warning",
            _ => $"up to {healthy:0.#} % is healthy",
        };
        return new HealthCheck(Name, state, string.Create(CultureInfo.InvariantCulture, $"{_what} is {percent:0.#} % ({limit})."));
    }
}
