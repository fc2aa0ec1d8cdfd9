using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Sessions;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Every <see cref="AgentOptions.SessionsIntervalSeconds"/> reads the sessions the gateway holds
/// and sends them to the management service, which keeps the newest snapshot of each server. A
/// snapshot that cannot be delivered is not kept: the next one replaces it.
/// </summary>
public sealed partial class SessionSnapshotLoop(
    AgentOptions options,
    IGatewayControl gateway,
    ManagementLink link,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);
    private bool _gatewayFailing;
    private bool _deliveryFailing;
    private bool _cutLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            do
            {
                if (await ReadAsync(stoppingToken) is { } snapshot)
                {
                    await DeliverAsync(snapshot, stoppingToken);
                }
            }
            while (await clock.WaitAsync(TimeSpan.FromSeconds(options.SessionsIntervalSeconds), stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the next start sends a fresh snapshot.
        }
    }

    private async Task<SessionSnapshot?> ReadAsync(CancellationToken stopping)
    {
        try
        {
            SessionSnapshot snapshot = LiveSessions.From(await gateway.SessionsAsync(stopping), clock.GetUtcNow().UtcDateTime);
            _gatewayFailing = false;
            if (snapshot.Total > snapshot.Sessions.Count && !_cutLogged)
            {
                LogCut(_logger, snapshot.Total, snapshot.Sessions.Count);
                _cutLogged = true;
            }

            return snapshot;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // The control client's failures (unavailable, refused) are InvalidOperationExceptions.
            if (!_gatewayFailing)
            {
                LogGatewayUnavailable(_logger, e.Message);
                _gatewayFailing = true;
            }

            return null;
        }
    }

    private async Task DeliverAsync(SessionSnapshot snapshot, CancellationToken stopping)
    {
        try
        {
            await link.SendSessionsAsync(snapshot, stopping);
            _deliveryFailing = false;
        }
        catch (ManagementLinkException e)
        {
            if (!_deliveryFailing)
            {
                LogNotDelivered(_logger, snapshot.Sessions.Count, e.Message);
                _deliveryFailing = true;
            }
        }
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "The snapshot of {Count} sessions was not delivered; the next one replaces it: {Reason}")]
    private static partial void LogNotDelivered(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Cannot read the gateway's sessions; trying again at the next interval: {Reason}")]
    private static partial void LogGatewayUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "The gateway holds {Total} sessions; the snapshot sent to the management service lists the first {Sent}")]
    private static partial void LogCut(ILogger logger, int total, int sent);
}
