using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Wakes waiting polls when something an agent may care about changed: a server configuration,
/// a site, a server (drain), or a new command. While polls wait, it reads a small change stamp
/// from the database every Management:Agents:ChangeCheckMilliseconds, so a change stored by any
/// replica on the same PostgreSQL reaches every replica's agents; a change made here is also
/// announced at once through <see cref="Notify"/>.
/// </summary>
public sealed partial class ChangeFeed(IServiceScopeFactory scopes, IOptions<AgentLinkOptions> options, ILogger<ChangeFeed> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = NewSource();
    private long _version;
    private int _waiters;

    /// <summary>Agent polls waiting for a change now (read by the metrics at scrape time).</summary>
    public int Waiting => Volatile.Read(ref _waiters);

    /// <summary>Counts the changes seen; a poll reads it before it reads the database, and waits from there.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>
    /// Completes when a change after <paramref name="seenVersion"/> is seen (at once if one was
    /// seen already), or after <paramref name="timeout"/>; never throws on time-out.
    /// </summary>
    public async Task WaitAsync(long seenVersion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if (_version != seenVersion)
            {
                return;
            }

            changed = _changed.Task;
        }

        Interlocked.Increment(ref _waiters);
        try
        {
            await changed.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Wakes every waiting poll now.</summary>
    public void Notify()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSource();
            _version++;
        }

        changed.TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.ChangeCheckMilliseconds));
        string? last = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Volatile.Read(ref _waiters) == 0)
                {
                    // Nobody waits. The stamp of the last look stays, so a change made meanwhile
                    // wakes the next waiter (a stale stamp only costs a spurious wake-up).
                    continue;
                }

                try
                {
                    string stamp = await ReadStampAsync(stoppingToken);
                    if (stamp != last)
                    {
                        Notify();
                    }

                    last = stamp;
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
                {
                    LogStampFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task<string> ReadStampAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        DateTime? configurations = await db.ServerConfigurations.MaxAsync(c => (DateTime?)c.UpdatedAt, cancellationToken);
        DateTime? sites = await db.Sites.MaxAsync(s => (DateTime?)s.UpdatedAt, cancellationToken);
        DateTime? servers = await db.Servers.MaxAsync(s => (DateTime?)s.UpdatedAt, cancellationToken);
        int pending = await db.AgentCommands.CountAsync(c => c.State == AgentCommandState.Pending, cancellationToken);
        return $"{configurations:O}|{sites:O}|{servers:O}|{pending}";
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Could not read the change stamp for waiting agents: {Reason}. Polls end at their time-out instead.")]
    private static partial void LogStampFailed(ILogger logger, string reason);
}
