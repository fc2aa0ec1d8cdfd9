using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.AccessLog;

/// <summary>
/// Deletes access records whose session ended more than Management:AccessLogRetentionDays ago,
/// at start and every hour. Each replica runs it; the delete is idempotent.
/// </summary>
internal sealed partial class AccessLogRetention(IServiceScopeFactory scopes, IOptions<ManagementOptions> options, TimeProvider clock, ILogger<AccessLogRetention> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Deletes the records of sessions that ended before <paramref name="now"/> less <paramref name="retentionDays"/>; returns how many.</summary>
    public static Task<int> DeleteExpiredAsync(ManagementDbContext db, DateTime now, int retentionDays, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        DateTime cutoff = now.AddDays(-retentionDays);
        return db.AccessLog.Where(a => a.EndedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            do
            {
                int days = options.Value.AccessLogRetentionDays;
                try
                {
                    await using AsyncServiceScope scope = scopes.CreateAsyncScope();
                    int deleted = await DeleteExpiredAsync(scope.ServiceProvider.GetRequiredService<ManagementDbContext>(), clock.GetUtcNow().UtcDateTime, days, stoppingToken);
                    if (deleted > 0)
                    {
                        LogDeleted(logger, deleted, days);
                    }
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
                {
                    LogFailed(logger, e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Deleted {Count} access records of sessions that ended more than {Days} days ago.")]
    private static partial void LogDeleted(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Deleting old access records failed: {Reason}; it runs again in an hour.")]
    private static partial void LogFailed(ILogger logger, string reason);
}
