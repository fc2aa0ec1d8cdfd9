using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Marks servers that stopped checking in as offline and unhealthy (a draining server stays
/// draining, but unhealthy), and deletes telemetry past its retention. Each replica runs it;
/// both writes are idempotent.
/// </summary>
internal sealed partial class ServerLivenessMonitor(IServiceScopeFactory scopes, IOptions<AgentLinkOptions> options, TimeProvider clock, ILogger<ServerLivenessMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LivenessCheckSeconds), clock);
        DateTimeOffset nextRetention = clock.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await MarkOfflineAsync(stoppingToken);
                    if (clock.GetUtcNow() >= nextRetention)
                    {
                        await DeleteOldTelemetryAsync(stoppingToken);
                        nextRetention = clock.GetUtcNow() + RetentionInterval;
                    }
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
                {
                    LogCheckFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task MarkOfflineAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        var reader = scope.ServiceProvider.GetRequiredService<ServerHealthReader>();
        HealthThresholds thresholds = await reader.ThresholdsAsync(cancellationToken);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        DateTime cutoff = now.AddMinutes(-thresholds.CheckInMinutes);
        var stale = await db.Servers.AsNoTracking()
            .Where(s => s.LastCheckIn != null && s.LastCheckIn < cutoff
                && (s.State == ServerState.Online || (s.State == ServerState.Draining && s.Health != ServerHealth.Unhealthy)))
            .Select(s => new { s.Id, s.Name, s.LastCheckIn })
            .ToListAsync(cancellationToken);
        foreach (var server in stale)
        {
            string reason = new CheckInPolicy().Evaluate(new HealthInput(null, server.LastCheckIn, null, thresholds, now))!.Reason;
            await db.Servers.Where(s => s.Id == server.Id && s.LastCheckIn == server.LastCheckIn).ExecuteUpdateAsync(
                u => u.SetProperty(s => s.State, s => s.State == ServerState.Draining ? ServerState.Draining : ServerState.Offline)
                    .SetProperty(s => s.Health, ServerHealth.Unhealthy)
                    .SetProperty(s => s.HealthDetails, reason),
                cancellationToken);
            LogOffline(logger, server.Name, server.Id, server.LastCheckIn!.Value);
        }
    }

    private async Task DeleteOldTelemetryAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        DateTime cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.TelemetryRetentionDays);
        int deleted = await db.ServerTelemetry.Where(t => t.ReceivedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            LogTelemetryDeleted(logger, deleted, options.Value.TelemetryRetentionDays);
        }
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Server {ServerName} ({ServerId}) is offline: no check-in since {LastCheckIn:u}.")]
    private static partial void LogOffline(ILogger logger, string serverName, Guid serverId, DateTime lastCheckIn);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Deleted {Count} telemetry samples older than {Days} days.")]
    private static partial void LogTelemetryDeleted(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "The liveness check failed: {Reason}; it runs again at the next interval.")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
