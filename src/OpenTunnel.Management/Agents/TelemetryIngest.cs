using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>What became of a batch: the acknowledgement, or why the batch was refused.</summary>
public sealed record TelemetryIngestResult(TelemetryAcknowledgement? Acknowledgement, ValidationErrors Errors, bool Conflict);

/// <summary>
/// Stores telemetry once per (server, sequence number): samples already held are counted as
/// duplicates and skipped, so an agent can send a batch again when it lost the answer. Every
/// batch is a check-in: the server goes online (unless it drains) and its health is evaluated
/// from its newest sample.
/// </summary>
public sealed partial class TelemetryIngest(ManagementDbContext db, ServerHealthReader health, SitePeers peers, IOptions<AgentLinkOptions> options, TimeProvider clock, ILogger<TelemetryIngest> logger)
{
    /// <summary>A sample stamped further in the future than this is refused: the agent's clock is wrong.</summary>
    public static readonly TimeSpan MaximumClockAhead = TimeSpan.FromMinutes(10);

    public async Task<TelemetryIngestResult> IngestAsync(Guid serverId, TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        ValidationErrors errors = Validate(batch, now, options.Value.MaximumTelemetryBatch);
        if (!errors.IsValid)
        {
            return new TelemetryIngestResult(null, errors, false);
        }

        var sequences = new List<long>(batch.Samples.Count);
        foreach (TelemetrySample sample in batch.Samples)
        {
            sequences.Add(sample.Sequence);
        }

        List<long> held = await db.ServerTelemetry.AsNoTracking()
            .Where(t => t.ServerId == serverId && sequences.Contains(t.Sequence))
            .Select(t => t.Sequence)
            .ToListAsync(cancellationToken);
        var known = new HashSet<long>(held);
        int stored = 0;
        foreach (TelemetrySample sample in batch.Samples)
        {
            if (known.Add(sample.Sequence))
            {
                db.ServerTelemetry.Add(new ServerTelemetry { ServerId = serverId, Sequence = sample.Sequence, ReceivedAt = now, Sample = sample });
                stored++;
            }
        }

        AgentStatus? status = await db.AgentStatuses.FirstOrDefaultAsync(s => s.ServerId == serverId, cancellationToken);
        if (status is null)
        {
            status = new AgentStatus { ServerId = serverId };
            db.AgentStatuses.Add(status);
        }

        status.LastSequence = Math.Max(status.LastSequence, sequences[^1]);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e)
        {
            // Another replica stored part of the same batch at the same moment; the agent sends it again.
            LogIngestRace(logger, serverId, e.InnerException?.Message ?? e.Message);
            return new TelemetryIngestResult(null, errors, true);
        }

        await CheckInAsync(serverId, status, now, cancellationToken);

        // The site's peer list for load-aware sign-in (published at a bounded rate, see PeerLists).
        Guid siteId = await db.Servers.AsNoTracking().Where(s => s.Id == serverId).Select(s => s.SiteId).FirstOrDefaultAsync(cancellationToken);
        await peers.RefreshAsync(siteId, db, cancellationToken);
        return new TelemetryIngestResult(new TelemetryAcknowledgement(status.LastSequence, stored, batch.Samples.Count - stored), errors, false);
    }

    /// <summary>Sequence numbers from 1, strictly rising within the batch; times not far in the future.</summary>
    internal static ValidationErrors Validate(TelemetryBatch batch, DateTime now, int maximumBatch)
    {
        var errors = new ValidationErrors();
        if (batch.Samples is null || batch.Samples.Count == 0)
        {
            errors.Add("samples", "is empty: send at least one sample.");
            return errors;
        }

        if (batch.Samples.Count > maximumBatch)
        {
            errors.Add("samples", $"holds {batch.Samples.Count} samples; at most {maximumBatch} are taken at once.");
            return errors;
        }

        long previous = 0;
        for (int i = 0; i < batch.Samples.Count; i++)
        {
            TelemetrySample sample = batch.Samples[i];
            if (sample.Sequence <= previous)
            {
                errors.Add($"samples[{i}].sequence", $"is {sample.Sequence}; sequence numbers start at 1 and rise within a batch (the one before is {previous}).");
            }

            if (sample.At > now + MaximumClockAhead)
            {
                errors.Add($"samples[{i}].at", $"is {sample.At:u}, more than {MaximumClockAhead.TotalMinutes} minutes ahead of the service's clock ({now:u}): check the server's time.");
            }

            RequirePercent(errors, $"samples[{i}].cpuPercent", sample.CpuPercent);
            RequirePercent(errors, $"samples[{i}].memoryPercent", sample.MemoryPercent);
            previous = sample.Sequence;
        }

        return errors;
    }

    private static void RequirePercent(ValidationErrors errors, string field, double? value)
    {
        if (value is < 0 or > 100 || (value is { } v && double.IsNaN(v)))
        {
            errors.Add(field, $"is {value}; a percentage is between 0 and 100.");
        }
    }

    private async Task CheckInAsync(Guid serverId, AgentStatus status, DateTime now, CancellationToken cancellationToken)
    {
        HealthThresholds thresholds = await health.ThresholdsAsync(cancellationToken);
        TelemetrySample? latest = await health.LatestSampleAsync(serverId, cancellationToken);
        ServerHealthReport report = ServerHealthEvaluator.Default.Evaluate(new HealthInput(latest, now, status, thresholds, now));
        string? details = report.Reasons.Count == 0 ? null : string.Join(" ", report.Reasons);
        string? version = latest?.SoftwareVersion;
        ServerHealth state = report.State;
        await db.Servers.Where(s => s.Id == serverId).ExecuteUpdateAsync(
            u => u.SetProperty(s => s.LastCheckIn, now)
                .SetProperty(s => s.State, s => s.State == ServerState.Draining ? ServerState.Draining : ServerState.Online)
                .SetProperty(s => s.SoftwareVersion, s => version ?? s.SoftwareVersion)
                .SetProperty(s => s.Health, state)
                .SetProperty(s => s.HealthDetails, details),
            cancellationToken);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Telemetry of server {ServerId} met a concurrent write ({Reason}); the agent sends the batch again.")]
    private static partial void LogIngestRace(ILogger logger, Guid serverId, string reason);
}
