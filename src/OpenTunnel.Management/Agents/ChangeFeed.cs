using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Wakes waiting polls when something an agent may care about changed: a server configuration,
/// a site, a server (drain), or a new command. A change made here is announced at once through
/// <see cref="Notify"/>. On PostgreSQL it also listens on <see cref="Channel"/>, where every
/// replica's saves are announced (<see cref="ChangeNotifier"/>), so a change stored by any replica
/// wakes this replica's polls at once; a lost listening connection is opened again and wakes
/// every poll, which reads the database again, so no change is missed. As a backstop, while polls
/// wait it reads a small change stamp from the database every
/// Management:Agents:ChangeCheckMilliseconds.
/// </summary>
public sealed partial class ChangeFeed(
    IServiceScopeFactory scopes, IOptions<AgentLinkOptions> options, IOptions<ManagementOptions> management, ILogger<ChangeFeed> logger) : BackgroundService
{
    /// <summary>The PostgreSQL notification channel of agent-visible changes.</summary>
    public const string Channel = "opentunnel_agent_changes";

    /// <summary>The application name of the listening connection (pg_stat_activity.application_name).</summary>
    public const string ListenerApplicationName = "opentunnel-management change listener";

    /// <summary>How long a listening connection waits for a notification before it checks that the server still answers.</summary>
    private static readonly TimeSpan ListenProbe = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan MaximumListenBackoff = TimeSpan.FromSeconds(30);

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

    /// <summary>Whether the PostgreSQL listening connection is open now.</summary>
    public bool Listening { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ManagementOptions settings = management.Value;
        return settings.UsesPostgres
            ? Task.WhenAll(CheckStampAsync(stoppingToken), ListenAsync(settings.PostgresConnectionString!, stoppingToken))
            : CheckStampAsync(stoppingToken);
    }

    private async Task ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        // Its own connection outside the pool: a connection that listens is never handed to a request.
        string listening = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10, ApplicationName = ListenerApplicationName }.ToString();
        TimeSpan backoff = TimeSpan.FromSeconds(1);
        bool lost = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listening);
                connection.Notification += (_, _) => Notify();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Listening = true;
                if (lost)
                {
                    LogListenRestored(logger);
                }

                // Whatever was announced while nobody listened: every poll reads the database again.
                Notify();
                backoff = TimeSpan.FromSeconds(1);
                while (true)
                {
                    if (!await connection.WaitAsync(ListenProbe, stoppingToken))
                    {
                        await using var probe = new NpgsqlCommand("SELECT 1", connection);
                        await probe.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                Listening = false;
                lost = true;
                LogListenLost(logger, e.Message, backoff.TotalSeconds);
            }

            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = backoff * 2 < MaximumListenBackoff ? backoff * 2 : MaximumListenBackoff;
        }
    }

    private async Task CheckStampAsync(CancellationToken stoppingToken)
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

    [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "Lost the PostgreSQL connection that listens for changes of other replicas: {Reason}. Opening it again in {Seconds} s; meanwhile polls wake on the change stamp.")]
    private static partial void LogListenLost(ILogger logger, string reason, double seconds);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Listening for changes of other replicas again; waiting polls read the database again.")]
    private static partial void LogListenRestored(ILogger logger);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Could not read the change stamp for waiting agents: {Reason}. Polls end at their time-out instead.")]
    private static partial void LogStampFailed(ILogger logger, string reason);
}
