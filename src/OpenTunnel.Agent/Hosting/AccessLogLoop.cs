using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.AccessLog;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Forwards the access log: every interval it takes the sessions that ended from the gateway
/// into the on-disk queue (the next request tells the gateway to forget what the queue holds),
/// then delivers the queue, oldest first. The queue keeps the records while the management
/// service cannot be reached; the service stores each record id once, so records sent twice
/// (after a lost answer, or taken again after an agent restart) are stored once.
/// </summary>
public sealed partial class AccessLogLoop(
    AgentOptions options,
    IGatewayControl gateway,
    ManagementLink link,
    DurableQueue<AccessRecord> queue,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);
    private Guid? _journal;
    private long _taken;
    private long _gatewayDropped;
    private long _queueDropped;
    private bool _gatewayFailing;
    private bool _deliveryFailing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            do
            {
                await TakeAsync(stoppingToken);
                await DeliverAsync(stoppingToken);
            }
            while (await clock.WaitAsync(TimeSpan.FromSeconds(options.AccessLogIntervalSeconds), stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the queue is on disk and the gateway keeps what it was not told to forget.
        }
    }

    /// <summary>Moves the gateway's ended sessions into the queue until the gateway has no more.</summary>
    private async Task TakeAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                EndedSessionsAnswer answer = await gateway.TakeEndedSessionsAsync(_journal, _taken, AccessRecordBatch.MaximumRecords, stopping);
                if (answer.Journal != _journal)
                {
                    // A gateway that started again has a new journal, numbered from 1.
                    _journal = answer.Journal;
                    _taken = 0;
                    _gatewayDropped = 0;
                }

                if (answer.Dropped > _gatewayDropped)
                {
                    LogGatewayDropped(_logger, answer.Dropped - _gatewayDropped, answer.Dropped);
                    _gatewayDropped = answer.Dropped;
                }

                foreach (EndedSessionRecord ended in answer.Sessions)
                {
                    queue.Enqueue(sequence => AccessRecords.From(ended, sequence));
                    _taken = Math.Max(_taken, ended.Sequence);
                }

                if (queue.Dropped > _queueDropped)
                {
                    LogQueueDropped(_logger, queue.Dropped - _queueDropped, options.AccessLogQueueCapacity);
                    _queueDropped = queue.Dropped;
                }

                _gatewayFailing = false;
                if (answer.Sessions.Count < AccessRecordBatch.MaximumRecords)
                {
                    return;
                }
            }
        }
        catch (InvalidOperationException e)
        {
            // The control client's failures (unavailable, refused) are InvalidOperationExceptions.
            if (!_gatewayFailing)
            {
                LogGatewayUnavailable(_logger, e.Message);
                _gatewayFailing = true;
            }
        }
    }

    /// <summary>Sends the queue oldest first until it is empty or the service cannot be reached.</summary>
    private async Task DeliverAsync(CancellationToken stopping)
    {
        while (queue.Count > 0)
        {
            List<AccessRecord> batch = queue.Peek(AccessRecordBatch.MaximumRecords);
            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await link.SendAccessRecordsAsync(new AccessRecordBatch(batch), stopping);
                queue.Acknowledge(batch[^1].Sequence);
                _deliveryFailing = false;
            }
            catch (ManagementLinkException e) when (e.Failure == ManagementFailure.Rejected)
            {
                LogRejected(_logger, batch.Count, batch[0].Sequence, batch[^1].Sequence, e.Message);
                queue.Discard(batch[^1].Sequence);
            }
            catch (ManagementLinkException e)
            {
                if (!_deliveryFailing)
                {
                    LogQueued(_logger, queue.Count, e.Message);
                    _deliveryFailing = true;
                }

                return;
            }
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Access records stay queued on disk ({Count} records): {Reason}")]
    private static partial void LogQueued(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "The management service refused {Count} access records (queue numbers {First} to {Last}); they are dropped: {Reason}")]
    private static partial void LogRejected(ILogger logger, int count, long first, long last, string reason);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "The gateway dropped {Count} ended sessions before the agent took them ({Total} since it started): its journal was full")]
    private static partial void LogGatewayDropped(ILogger logger, long count, long total);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Dropped the {Count} oldest access records: the queue holds {Capacity} (AccessLogQueueCapacity)")]
    private static partial void LogQueueDropped(ILogger logger, long count, int capacity);

    [LoggerMessage(EventId = 214, Level = LogLevel.Warning, Message = "Cannot take ended sessions from the gateway; trying again at the next interval: {Reason}")]
    private static partial void LogGatewayUnavailable(ILogger logger, string reason);
}
