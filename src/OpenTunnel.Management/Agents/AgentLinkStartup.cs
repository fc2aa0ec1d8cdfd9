using Microsoft.Extensions.Options;

namespace OpenTunnel.Management.Agents;

/// <summary>At start: loads or makes the internal CA (so its pin is in the log), and logs where agents connect.</summary>
internal sealed partial class AgentLinkStartup(
    InternalCertificateAuthority authority,
    AgentEndpointBinding binding,
    IOptions<AgentLinkOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<AgentLinkStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (authority.Created)
        {
            LogCaCreated(logger, authority.Certificate.Subject, authority.Pin);
        }
        else
        {
            LogCaLoaded(logger, authority.Certificate.Subject, authority.Pin);
        }

        lifetime.ApplicationStarted.Register(() =>
        {
            if (binding.EndPoint is { } endPoint)
            {
                LogListening(logger, endPoint.ToString(), options.Value.PublicUrl ?? "(the host name agents enrol with)");
            }
            else
            {
                LogOff(logger);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Created the agent CA '{Subject}' in the data directory; agents enrol with --ca-pin {Pin}. Back up agent-ca.pem and agent-ca-key.pem: without them every agent must enrol again.")]
    private static partial void LogCaCreated(ILogger logger, string subject, string pin);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Agent CA '{Subject}', pin {Pin}.")]
    private static partial void LogCaLoaded(ILogger logger, string subject, string pin);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Agent endpoint (mutual TLS) listening on {EndPoint}; public URL {PublicUrl}.")]
    private static partial void LogListening(ILogger logger, string endPoint, string publicUrl);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "The agent endpoint is off (Management:Agents:Listen is empty): agents can enrol but not connect.")]
    private static partial void LogOff(ILogger logger);
}
