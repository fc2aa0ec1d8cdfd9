using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Checks the site's internal URL every probe interval, and at once when the applied configuration
/// names another one; telemetry reports the last result.
/// </summary>
public sealed partial class ProbeLoop(AgentOptions options, AgentState state, InternalProbe probe, TimeProvider clock, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        Uri? checkedUrl = null;
        DateTimeOffset next = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Uri? url = state.ProbeUrl;
                DateTimeOffset now = clock.GetUtcNow();
                if (url is null)
                {
                    state.LastProbe = null;
                    checkedUrl = null;
                    continue;
                }

                if (url != checkedUrl || now >= next)
                {
                    ProbeResult result = await probe.CheckAsync(url, now.UtcDateTime, stoppingToken);
                    state.LastProbe = result;
                    checkedUrl = url;
                    next = now + TimeSpan.FromSeconds(options.ProbeIntervalSeconds);
                    if (!result.Reachable)
                    {
                        LogProbeFailed(_logger, result.Error!);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "The internal probe failed: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);
}
