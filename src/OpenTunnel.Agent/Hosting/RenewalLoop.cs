using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// Renews the agent certificate when it is due, checked hourly; the link presents the renewed
/// certificate from its next call on.
/// </summary>
public sealed partial class RenewalLoop(AgentState state, ManagementLink link, CertificateRenewer renewer, TimeProvider clock, ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan RenewalInterval = TimeSpan.FromHours(1);

    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            do
            {
                try
                {
                    if (await renewer.RenewIfDueAsync(state.Identity, link, clock.GetUtcNow().UtcDateTime, stoppingToken) is { } renewed)
                    {
                        link.UseCertificate(renewed.Certificate);
                        state.Identity = renewed;
                    }
                }
                catch (Exception e) when (e is ManagementLinkException or InvalidOperationException)
                {
                    LogRenewalFailed(_logger, state.Identity.Certificate.NotAfter.ToUniversalTime(), e.Message);
                }
            }
            while (await clock.WaitAsync(RenewalInterval, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Renewing the agent certificate (valid until {NotAfter:u}) failed: {Reason}. Trying again in an hour.")]
    private static partial void LogRenewalFailed(ILogger logger, DateTime notAfter, string reason);
}
