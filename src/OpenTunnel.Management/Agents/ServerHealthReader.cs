using Microsoft.EntityFrameworkCore;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;

namespace OpenTunnel.Management.Agents;

/// <summary>Reads what health evaluation needs from the database and evaluates a server now.</summary>
public sealed class ServerHealthReader(ManagementDbContext db, TimeProvider clock)
{
    /// <summary>The stored thresholds, or the defaults while an administrator has not changed them.</summary>
    public async Task<HealthThresholds> ThresholdsAsync(CancellationToken cancellationToken) =>
        await db.HealthThresholds.AsNoTracking().FirstOrDefaultAsync(t => t.Id == HealthThresholds.SingletonId, cancellationToken)
        ?? new HealthThresholds { Id = HealthThresholds.SingletonId };

    public Task<TelemetrySample?> LatestSampleAsync(Guid serverId, CancellationToken cancellationToken) =>
        db.ServerTelemetry.AsNoTracking()
            .Where(t => t.ServerId == serverId)
            .OrderByDescending(t => t.Sequence)
            .Select(t => t.Sample)
            .FirstOrDefaultAsync(cancellationToken);

    public Task<AgentStatus?> StatusAsync(Guid serverId, CancellationToken cancellationToken) =>
        db.AgentStatuses.AsNoTracking().FirstOrDefaultAsync(s => s.ServerId == serverId, cancellationToken);

    public async Task<ServerHealthReport> EvaluateAsync(Server server, HealthThresholds thresholds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        TelemetrySample? latest = await LatestSampleAsync(server.Id, cancellationToken);
        AgentStatus? status = await StatusAsync(server.Id, cancellationToken);
        return ServerHealthEvaluator.Default.Evaluate(new HealthInput(latest, server.LastCheckIn, status, thresholds, clock.GetUtcNow().UtcDateTime));
    }

    /// <summary>A site's health now: each of its servers evaluated (by name), then the site as <see cref="SiteHealthEvaluator"/> judges it.</summary>
    public async Task<SiteHealthReport> EvaluateSiteAsync(Guid siteId, HealthThresholds thresholds, CancellationToken cancellationToken)
    {
        List<Server> servers = await db.Servers.AsNoTracking().Where(s => s.SiteId == siteId).OrderBy(s => s.Name).ToListAsync(cancellationToken);
        var states = new List<SiteServerHealth>(servers.Count);
        foreach (Server server in servers)
        {
            ServerHealthReport report = await EvaluateAsync(server, thresholds, cancellationToken);
            states.Add(new SiteServerHealth(server.Id, server.Name, report.State, report.Reasons));
        }

        return SiteHealthEvaluator.Evaluate(states);
    }
}
