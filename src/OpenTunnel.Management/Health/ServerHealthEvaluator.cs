using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>
/// Runs every policy over a server's facts. The server's state is the worst check's; a server
/// whose agent never sent telemetry is unknown.
/// </summary>
public sealed class ServerHealthEvaluator(IReadOnlyList<IServerHealthPolicy> policies)
{
    public static readonly ServerHealthEvaluator Default = new(
    [
        new CheckInPolicy(),
        new GatewayPolicy(),
        UsagePolicy.Cpu,
        UsagePolicy.Memory,
        CertificateExpiryPolicy.Tls,
        CertificateExpiryPolicy.Agent,
        new LatencyPolicy(),
        new InternalUrlPolicy(),
        new SessionLimitPolicy(),
        new ConfigurationPolicy(),
    ]);

    public ServerHealthReport Evaluate(HealthInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.LastCheckIn is null)
        {
            return new ServerHealthReport(ServerHealth.Unknown, [new HealthCheck("check-in", ServerHealth.Unknown, "The agent has not sent telemetry yet.")]);
        }

        var checks = new List<HealthCheck>(policies.Count);
        ServerHealth worst = ServerHealth.Healthy;
        foreach (IServerHealthPolicy policy in policies)
        {
            if (policy.Evaluate(input) is { } check)
            {
                checks.Add(check);
                worst = check.State > worst ? check.State : worst;
            }
        }

        return new ServerHealthReport(worst, checks);
    }
}
