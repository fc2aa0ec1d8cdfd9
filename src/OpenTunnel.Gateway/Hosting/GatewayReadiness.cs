using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTunnel.Observability;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>One of the gateway's readiness checks (<see cref="GatewayServer.ReadinessChecks"/>) for /healthz/ready.</summary>
internal sealed class GatewayReadiness(GatewayServer server, string check) : IHealthCheck
{
    /// <summary>Registers every readiness check of the gateway, tagged for /healthz/ready.</summary>
    public static void Register(IHealthChecksBuilder health)
    {
        foreach (string check in GatewayServer.ReadinessChecks)
        {
            health.Add(new HealthCheckRegistration(check, sp => new GatewayReadiness(sp.GetRequiredService<GatewayServer>(), check), failureStatus: null, tags: [HealthEndpoints.ReadyTag]));
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(server.Holds(check) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy());
}
