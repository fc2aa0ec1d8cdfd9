using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// A telemetry sample every interval into the on-disk queue, then delivery of the queue, oldest
/// first; the queue keeps the samples while the management service cannot be reached.
/// </summary>
public sealed partial class TelemetryLoop(
    AgentOptions options,
    AgentState state,
    ManagementLink link,
    TelemetryCollector collector,
    DurableQueue<TelemetrySample> queue,
    GatewayDrain drain,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);
    private bool _deliveryFailing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = new TelemetrySchedule(TimeSpan.FromSeconds(options.TelemetryIntervalSeconds), TimeSpan.FromSeconds(options.RetrySeconds));
        try
        {
            bool gatewayAnswered;
            do
            {
                DateTime now = clock.GetUtcNow().UtcDateTime;
                bool draining = state.Draining;
                var facts = new AgentFacts(state.Identity.Certificate.NotAfter.ToUniversalTime(), state.Applied?.ETag, draining, state.ProbeUrl, state.LastProbe);
                TelemetrySample sample = await collector.CollectAsync(now, facts, stoppingToken);
                queue.Enqueue(sequence => sample with { Sequence = sequence });
                if (sample.GatewayError is null && sample.Draining != state.Draining)
                {
                    await drain.ReassertAsync(stoppingToken);
                }

                await DeliverAsync(stoppingToken);
                gatewayAnswered = sample.GatewayError is null;
            }
            while (await clock.WaitAsync(schedule.After(gatewayAnswered), stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the queue is on disk.
        }
    }

    /// <summary>Sends the queue oldest first until it is empty or the service cannot be reached.</summary>
    private async Task DeliverAsync(CancellationToken stopping)
    {
        while (queue.Count > 0)
        {
            List<TelemetrySample> batch = queue.Peek(options.TelemetryBatchSize);
            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                TelemetryAcknowledgement acknowledgement = await link.SendTelemetryAsync(new TelemetryBatch(batch), stopping);
                queue.Acknowledge(acknowledgement.HighestSequence);
                _deliveryFailing = false;
                if (acknowledgement.HighestSequence < batch[^1].Sequence)
                {
                    return;
                }
            }
            catch (ManagementLinkException e) when (e.Failure == ManagementFailure.Rejected)
            {
                LogTelemetryRejected(_logger, batch[0].Sequence, batch[^1].Sequence, e.Message);
                queue.Discard(batch[^1].Sequence);
            }
            catch (ManagementLinkException e)
            {
                if (!_deliveryFailing)
                {
                    LogTelemetryQueued(_logger, queue.Count, e.Message);
                    _deliveryFailing = true;
                }

                return;
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Telemetry stays queued on disk ({Count} samples): {Reason}")]
    private static partial void LogTelemetryQueued(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "The management service refused telemetry samples {First} to {Last}; they are dropped: {Reason}")]
    private static partial void LogTelemetryRejected(ILogger logger, long first, long last, string reason);
}
