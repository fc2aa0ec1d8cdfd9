using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Hosting;

/// <summary>Tells the gateway the drain state the service asked for, and tells it again after a gateway restart.</summary>
public sealed partial class GatewayDrain(IGatewayControl gateway, AgentState state, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(AgentServices.LogCategory);

    /// <summary>
    /// Takes the state even when the gateway cannot drain, so the next poll waits again; a refusal
    /// is logged, an unreachable gateway is thrown to the caller.
    /// </summary>
    public async Task TakeAsync(bool drain, CancellationToken cancellationToken)
    {
        state.Draining = drain;
        try
        {
            await gateway.DrainAsync(drain, cancellationToken);
            LogDrain(_logger, drain);
        }
        catch (ControlRefusedException e)
        {
            LogDrainFailed(_logger, drain, e.Message);
        }
    }

    /// <summary>The gateway restarted and forgot the drain (it keeps no state); tell it again.</summary>
    public async Task ReassertAsync(CancellationToken cancellationToken)
    {
        bool draining = state.Draining;
        try
        {
            await gateway.DrainAsync(draining, cancellationToken);
            LogDrain(_logger, draining);
        }
        catch (InvalidOperationException e)
        {
            LogDrainFailed(_logger, draining, e.Message);
        }
    }

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Drain {Draining}: the gateway was told.")]
    private static partial void LogDrain(ILogger logger, bool draining);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Drain {Draining}: the gateway refused: {Reason}")]
    private static partial void LogDrainFailed(ILogger logger, bool draining, string reason);
}
