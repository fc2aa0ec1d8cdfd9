using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Management.Data;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The service's own health for load balancers and service managers (not the servers' health,
/// which is OpenTunnel.Management.Health): <c>/healthz/live</c> answers 200 while the process serves
/// requests at all; <c>/healthz/ready</c> (and <c>/healthz</c>, its older name) answers 200 only
/// when the database answers with every migration applied and the token signing keys are loaded,
/// 503 otherwise. Both answer without sign-in and name the checks and their state, never the
/// reasons (they may name database hosts); the reasons go to the log.
/// </summary>
public static class ServiceHealth
{
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";

    /// <summary>The path load balancers and scripts used before the two above; the same answer as <see cref="ReadyPath"/>.</summary>
    public const string LegacyPath = "/healthz";

    private const string ReadyTag = "ready";

    public static IServiceCollection AddServiceHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseReadiness>("database", tags: [ReadyTag])
            .AddCheck<SigningKeysReadiness>("signing-keys", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapServiceHealth(this IEndpointRouteBuilder endpoints)
    {
        var live = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync };
        endpoints.MapHealthChecks(LivePath, live);
        endpoints.MapHealthChecks(ReadyPath, ready);
        endpoints.MapHealthChecks(LegacyPath, ready);
        return endpoints;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"database":"Unhealthy","signing-keys":"Healthy"}}</c>.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString());
        return JsonSerializer.SerializeAsync(context.Response.Body, new HealthAnswer(report.Status.ToString(), checks), HealthJson.Default.HealthAnswer, context.RequestAborted);
    }

    internal sealed record HealthAnswer(string Status, Dictionary<string, string> Checks);

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

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ServiceHealth.HealthAnswer))]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
