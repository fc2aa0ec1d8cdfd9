using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Management.Data;
using OpenTunnel.Observability;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The service's own health for load balancers and service managers (not the servers' health,
/// which is OpenTunnel.Management.Health), answered as <see cref="HealthEndpoints"/> (shared with
/// the agent) says: <c>/healthz/ready</c> (and <c>/healthz</c>, its older name) answers 200 only
/// when the database answers with every migration applied and the token signing keys are loaded.
/// </summary>
public static class ServiceHealth
{
    public const string LivePath = HealthEndpoints.LivePath;
    public const string ReadyPath = HealthEndpoints.ReadyPath;

    /// <summary>The path load balancers and scripts used before the two above; the same answer as <see cref="ReadyPath"/>.</summary>
    public const string LegacyPath = "/healthz";

    public static IServiceCollection AddServiceHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseReadiness>("database", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<SigningKeysReadiness>("signing-keys", tags: [HealthEndpoints.ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapServiceHealth(this IEndpointRouteBuilder endpoints) => endpoints.MapLiveAndReady(LegacyPath);

    /// <summary>The database answers a query and every migration this build knows is applied.</summary>
    internal sealed class DatabaseReadiness(ManagementDbContext db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                IEnumerable<string> applied = await db.Database.GetAppliedMigrationsAsync(cancellationToken);
                string[] pending = db.Database.GetMigrations().Except(applied).ToArray();
                return pending.Length == 0
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy($"{pending.Length} migration(s) not applied, the first {pending[0]}");
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"the database does not answer: {e.Message}", e);
            }
        }
    }

    /// <summary>The identity provider holds a key to sign tokens with.</summary>
    internal sealed class SigningKeysReadiness(SigningKeyRing ring) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(ring.Keys.Count > 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no token signing key is loaded"));
    }
}
