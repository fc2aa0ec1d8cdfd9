using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Commands;
using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Follows the management service: long-polls for the site's configuration, the drain state and
/// commands, applies them to the gateway and reports. When the service cannot be reached it
/// waits (<see cref="ReconnectBackoff"/>: up to 2 s doubling to 60 s, with jitter so agents do not
/// return together after a restart of the service) and tries again; the gateway keeps its
/// configuration meanwhile.
/// </summary>
public sealed partial class FollowLoop(
    AgentOptions options,
    AgentState state,
    ManagementLink link,
    ConfigurationApplier applier,
    AppliedConfigurationStore appliedStore,
    CommandRunner commands,
    GatewayDrain drain,
    DurableQueue<TelemetrySample> queue,
    AgentMetrics metrics,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan MaximumRetry = TimeSpan.FromSeconds(60);

    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);
    private string? _seenETag = state.Applied?.ETag;
    private ConfigurationReport? _unreported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentRegistration registration = state.Identity.Registration;
        LogStarting(_logger, registration.ServerName, registration.ServerId, registration.SiteName, link.Endpoint, state.Applied?.ETag ?? "none", queue.Count);
        var linkRetry = new ReconnectBackoff(TimeSpan.FromSeconds(options.RetrySeconds), MaximumRetry, Random.Shared);
        var gatewayRetry = new ReconnectBackoff(TimeSpan.FromSeconds(options.RetrySeconds), MaximumRetry, Random.Shared);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_unreported is { } report)
                {
                    await link.ReportAsync(report, stoppingToken);
                    _unreported = null;
                }

                AgentPoll? poll = await link.PollAsync(_seenETag, state.Draining, options.PollWaitSeconds, stoppingToken);
                metrics.Polled(poll is null ? "unchanged" : "changed");
                state.LinkUp = true;
                if (linkRetry.Reset())
                {
                    LogLinkRestored(_logger, link.Endpoint);
                }

                if (poll is not null)
                {
                    await HandleAsync(poll, stoppingToken);
                }

                gatewayRetry.Reset();
            }
            catch (ManagementLinkException e)
            {
                metrics.Polled("failed");
                state.LinkUp = false;
                TimeSpan wait = linkRetry.Next();
                LogLinkFailed(_logger, e.Failure, e.Message, Math.Round(wait.TotalSeconds, 1));
                await clock.WaitAsync(wait, stoppingToken);
            }
            catch (ControlUnavailableException e)
            {
                // The configuration is asked for again at the next poll (it was not taken as seen).
                TimeSpan wait = gatewayRetry.Next();
                LogGatewayUnavailable(_logger, e.Message, Math.Round(wait.TotalSeconds, 1));
                await clock.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(AgentPoll poll, CancellationToken stopping)
    {
        if (poll.Configuration is { } configuration)
        {
            ConfigurationReport report = await applier.ApplyAsync(configuration, stopping);
            metrics.Applied(report.Applied);
            _seenETag = configuration.ETag;
            if (report.Applied)
            {
                state.Applied = appliedStore.Load();
            }

            // Kept until it is delivered: a report lost to an outage is sent before the next poll.
            _unreported = report;
            await link.ReportAsync(report, stopping);
            _unreported = null;
        }

        if (poll.Drain != state.Draining)
        {
            await drain.TakeAsync(poll.Drain, stopping);
        }

        foreach (AgentCommandMessage command in poll.Commands)
        {
            CommandResult result = await commands.RunAsync(command, stopping);
            await link.CompleteCommandAsync(command.Id, result, stopping);
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
}
