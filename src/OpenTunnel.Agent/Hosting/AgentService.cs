using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Commands;
using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// The running agent: four loops over one mutual-TLS link. Follow: long-polls for the site's
/// configuration, drain state and commands, applies and reports. Telemetry: a sample every
/// interval into the on-disk queue, then delivery of the queue, oldest first. Probe: the site's
/// internal URL every probe interval. Renewal: the certificate, hourly. When the management
/// service cannot be reached each loop waits (2 s doubling to 60 s) and tries again; the gateway
/// keeps its configuration and the queue keeps the telemetry meanwhile.
/// Log event ids: 1xx link, 2xx telemetry, 3xx configuration, 4xx commands, 5xx certificate.
/// </summary>
public sealed partial class AgentService : BackgroundService
{
    private static readonly TimeSpan MaximumRetry = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RenewalInterval = TimeSpan.FromHours(1);

    private readonly AgentOptions _options;
    private readonly AgentIdentityStore _store;
    private readonly IGatewayControl _gateway;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly AppliedConfigurationStore _appliedStore;
    private readonly ConfigurationApplier _applier;
    private readonly TelemetryQueue _queue;
    private readonly InternalProbe _probe;
    private readonly TelemetryCollector _collector;
    private readonly CommandRunner _commands;
    private readonly CertificateRenewer _renewer;
    private AgentIdentity _identity;
    private readonly ManagementLink _link;
    private volatile AppliedConfiguration? _applied;
    private volatile string? _seenETag;
    private volatile ProbeResult? _lastProbe;
    private volatile ConfigurationReport? _unreported;
    private volatile bool _draining;
    private bool _deliveryFailing;

    public AgentService(AgentOptions options, IGatewayControl gateway, RecentLogLines recentLog, TimeProvider clock, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _gateway = gateway;
        _clock = clock;
        _logger = loggers.CreateLogger("OpenTunnel.Agent");
        _store = new AgentIdentityStore(options.DataDirectory);
        _identity = _store.Load();
        _link = new ManagementLink(_identity);
        _appliedStore = new AppliedConfigurationStore(options.DataDirectory);
        _applied = _appliedStore.Load();
        _seenETag = _applied?.ETag;
        _applier = new ConfigurationApplier(gateway, options.GatewayConfigurationFile, _appliedStore, clock, loggers.CreateLogger("OpenTunnel.Agent.Configuration"));
        _queue = new TelemetryQueue(Path.Combine(options.DataDirectory, "telemetry"), options.QueueCapacity);
        _probe = new InternalProbe(TimeSpan.FromSeconds(options.ProbeTimeoutSeconds));
        _collector = new TelemetryCollector(gateway, _probe, options.DataDirectory, AgentVersion.Current);
        _commands = new CommandRunner(gateway, recentLog, options.GatewayLogFile, loggers.CreateLogger("OpenTunnel.Agent.Commands"));
        _renewer = new CertificateRenewer(_store, options.RenewWhenRemainingPercent, loggers.CreateLogger("OpenTunnel.Agent.Certificate"));
    }

    /// <summary>Samples waiting for delivery.</summary>
    public int QueuedSamples => _queue.Count;

    public override void Dispose()
    {
        _link.Dispose();
        _identity.Dispose();
        _probe.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentRegistration registration = _identity.Registration;
        LogStarting(_logger, registration.ServerName, registration.ServerId, registration.SiteName, _link.Endpoint, _applied?.ETag ?? "none", _queue.Count);
        await Task.WhenAll(FollowAsync(stoppingToken), TelemetryAsync(stoppingToken), ProbeAsync(stoppingToken), RenewalAsync(stoppingToken));
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        var linkRetry = new Backoff(TimeSpan.FromSeconds(_options.RetrySeconds));
        var gatewayRetry = new Backoff(TimeSpan.FromSeconds(_options.RetrySeconds));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (_unreported is { } report)
                {
                    await _link.ReportAsync(report, stopping);
                    _unreported = null;
                }

                AgentPoll? poll = await _link.PollAsync(_seenETag, _draining, _options.PollWaitSeconds, stopping);
                if (linkRetry.Reset())
                {
                    LogLinkRestored(_logger, _link.Endpoint);
                }

                if (poll is not null)
                {
                    await HandleAsync(poll, stopping);
                }

                gatewayRetry.Reset();
            }
            catch (ManagementLinkException e)
            {
                LogLinkFailed(_logger, e.Failure, e.Message, linkRetry.Next.TotalSeconds);
                await Delay(linkRetry.Take(), stopping);
            }
            catch (ControlUnavailableException e)
            {
                // The configuration is asked for again at the next poll (it was not taken as seen).
                LogGatewayUnavailable(_logger, e.Message, gatewayRetry.Next.TotalSeconds);
                await Delay(gatewayRetry.Take(), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(AgentPoll poll, CancellationToken stopping)
    {
        if (poll.Configuration is { } configuration)
        {
            ConfigurationReport report = await _applier.ApplyAsync(configuration, stopping);
            _seenETag = configuration.ETag;
            if (report.Applied)
            {
                _applied = _appliedStore.Load();
            }

            // Kept until it is delivered: a report lost to an outage is sent before the next poll.
            _unreported = report;
            await _link.ReportAsync(report, stopping);
            _unreported = null;
        }

        if (poll.Drain != _draining)
        {
            // The state is taken even when the gateway cannot drain, so the next poll waits again.
            _draining = poll.Drain;
            try
            {
                await _gateway.DrainAsync(poll.Drain, stopping);
                LogDrain(_logger, poll.Drain);
            }
            catch (ControlRefusedException e)
            {
                LogDrainFailed(_logger, poll.Drain, e.Message);
            }
        }

        foreach (AgentCommandMessage command in poll.Commands)
        {
            CommandResult result = await _commands.RunAsync(command, stopping);
            await _link.CompleteCommandAsync(command.Id, result, stopping);
        }
    }

    private async Task TelemetryAsync(CancellationToken stopping)
    {
        var schedule = new TelemetrySchedule(TimeSpan.FromSeconds(_options.TelemetryIntervalSeconds), TimeSpan.FromSeconds(_options.RetrySeconds));
        try
        {
            bool gatewayAnswered;
            do
            {
                DateTime now = _clock.GetUtcNow().UtcDateTime;
                var facts = new AgentFacts(_identity.Certificate.NotAfter.ToUniversalTime(), _applied?.ETag, _draining, ProbeUrl(), _lastProbe);
                TelemetrySample sample = await _collector.CollectAsync(now, facts, stopping);
                _queue.Enqueue(sequence => sample with { Sequence = sequence });
                if (sample.GatewayError is null && sample.Draining != _draining)
                {
                    // The gateway restarted and forgot the drain (it keeps no state); tell it again.
                    await ReassertDrainAsync(stopping);
                }

                await DeliverAsync(stopping);
                gatewayAnswered = sample.GatewayError is null;
            }
            while (await Delay(schedule.After(gatewayAnswered), stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping; the queue is on disk.
        }
    }

    /// <summary>Sends the queue oldest first until it is empty or the service cannot be reached.</summary>
    private async Task DeliverAsync(CancellationToken stopping)
    {
        while (_queue.Count > 0)
        {
            List<TelemetrySample> batch = _queue.Peek(_options.TelemetryBatchSize);
            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                TelemetryAcknowledgement acknowledgement = await _link.SendTelemetryAsync(new TelemetryBatch(batch), stopping);
                _queue.Acknowledge(acknowledgement.HighestSequence);
                _deliveryFailing = false;
                if (acknowledgement.HighestSequence < batch[^1].Sequence)
                {
                    return;
                }
            }
            catch (ManagementLinkException e) when (e.Failure == ManagementFailure.Rejected)
            {
                LogTelemetryRejected(_logger, batch[0].Sequence, batch[^1].Sequence, e.Message);
                _queue.Discard(batch[^1].Sequence);
            }
            catch (ManagementLinkException e)
            {
                if (!_deliveryFailing)
                {
                    LogTelemetryQueued(_logger, _queue.Count, e.Message);
                    _deliveryFailing = true;
                }

                return;
            }
        }
    }

    private async Task ReassertDrainAsync(CancellationToken stopping)
    {
        try
        {
            await _gateway.DrainAsync(_draining, stopping);
            LogDrain(_logger, _draining);
        }
        catch (InvalidOperationException e)
        {
            LogDrainFailed(_logger, _draining, e.Message);
        }
    }

    private async Task ProbeAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        Uri? checkedUrl = null;
        DateTimeOffset next = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                Uri? url = ProbeUrl();
                DateTimeOffset now = _clock.GetUtcNow();
                if (url is null)
                {
                    _lastProbe = null;
                    checkedUrl = null;
                    continue;
                }

                if (url != checkedUrl || now >= next)
                {
                    _lastProbe = await _probe.CheckAsync(url, now.UtcDateTime, stopping);
                    checkedUrl = url;
                    next = now + TimeSpan.FromSeconds(_options.ProbeIntervalSeconds);
                    if (!_lastProbe.Reachable)
                    {
                        LogProbeFailed(_logger, _lastProbe.Error!);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RenewalAsync(CancellationToken stopping)
    {
        try
        {
            do
            {
                try
                {
                    if (await _renewer.RenewIfDueAsync(_identity, _link, _clock.GetUtcNow().UtcDateTime, stopping) is { } renewed)
                    {
                        _link.UseCertificate(renewed.Certificate);
                        _identity = renewed;
                    }
                }
                catch (Exception e) when (e is ManagementLinkException or InvalidOperationException)
                {
                    LogRenewalFailed(_logger, _identity.Certificate.NotAfter.ToUniversalTime(), e.Message);
                }
            }
            while (await Delay(RenewalInterval, stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private Uri? ProbeUrl() =>
        _applied?.Configuration.InternalProbeUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : null;

    private async Task<bool> Delay(TimeSpan delay, CancellationToken stopping)
    {
        await Task.Delay(delay, _clock, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return !stopping.IsCancellationRequested;
    }

    /// <summary>Waits that double from the first up to 60 s while failures go on.</summary>
    private sealed class Backoff(TimeSpan first)
    {
        private readonly TimeSpan _first = first;

        public TimeSpan Next { get; private set; } = first;

        /// <summary>The wait to take now; the next one is twice as long.</summary>
        public TimeSpan Take()
        {
            TimeSpan now = Next;
            Next = Next * 2 < MaximumRetry ? Next * 2 : MaximumRetry;
            return now;
        }

        /// <summary>Back to the first wait; true when there was a failure before.</summary>
        public bool Reset()
        {
            bool failed = Next != _first;
            Next = _first;
            return failed;
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Agent of server {ServerName} ({ServerId}) in site {SiteName}: management agent endpoint {Endpoint}; the gateway runs configuration {ETag}; {Queued} telemetry samples queued.")]
    private static partial void LogStarting(ILogger logger, string serverName, Guid serverId, string siteName, Uri endpoint, string eTag, int queued);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "The management service could not be used ({Failure}): {Reason}. The gateway keeps its configuration; trying again in {Seconds} s.")]
    private static partial void LogLinkFailed(ILogger logger, ManagementFailure failure, string reason, double seconds);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "The management service at {Endpoint} answers again.")]
    private static partial void LogLinkRestored(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "The gateway cannot be reached: {Reason}. Trying again in {Seconds} s.")]
    private static partial void LogGatewayUnavailable(ILogger logger, string reason, double seconds);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Telemetry stays queued on disk ({Count} samples): {Reason}")]
    private static partial void LogTelemetryQueued(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "The management service refused telemetry samples {First} to {Last}; they are dropped: {Reason}")]
    private static partial void LogTelemetryRejected(ILogger logger, long first, long last, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "The internal probe failed: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Drain {Draining}: the gateway was told.")]
    private static partial void LogDrain(ILogger logger, bool draining);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Drain {Draining}: the gateway refused: {Reason}")]
    private static partial void LogDrainFailed(ILogger logger, bool draining, string reason);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Renewing the agent certificate (valid until {NotAfter:u}) failed: {Reason}. Trying again in an hour.")]
    private static partial void LogRenewalFailed(ILogger logger, DateTime notAfter, string reason);
}
