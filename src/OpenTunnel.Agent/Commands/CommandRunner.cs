using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Commands;

/// <summary>
/// Carries out the management service's commands on the gateway beside the agent. Ending a
/// user's sessions when the user has none here is a success (a site-wide revocation reaches
/// every server, and most hold none of the user's sessions).
/// </summary>
public sealed partial class CommandRunner(IGatewayControl gateway, RecentLogLines agentLog, string? gatewayLogFile, ILogger logger)
{
    /// <summary>The end of the gateway log collect-logs takes.</summary>
    public const int GatewayLogBytes = 256 * 1024;

    public async Task<CommandResult> RunAsync(AgentCommandMessage command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        LogRunning(logger, command.Kind, command.Id, command.Target ?? "-");
        try
        {
            return command.Kind switch
            {
                AgentCommandKind.Disconnect => await EndSessionsAsync("disconnect", command.Target!, cancellationToken),
                AgentCommandKind.Terminate => await EndSessionsAsync("terminate", command.Target!, cancellationToken),
                AgentCommandKind.RevokeSessions => await RevokeAsync(command.Target!, command.At, cancellationToken),
                AgentCommandKind.CollectLogs => new CommandResult(true, await CollectLogsAsync(cancellationToken)),
                _ => new CommandResult(false, $"This agent does not know the command {command.Kind}."),
            };
        }
        catch (Exception e) when (e is ControlRefusedException or ControlUnavailableException)
        {
            return new CommandResult(false, e.Message);
        }
    }

    private async Task<CommandResult> EndSessionsAsync(string verb, string target, CancellationToken cancellationToken)
    {
        if (!await HasSessionAsync(target, cancellationToken))
        {
            return new CommandResult(true, $"No session of '{target}' on this server.");
        }

        int count = await gateway.EndSessionsAsync(verb, target, cancellationToken);
        return new CommandResult(true, $"{verb}: {count} session(s) of '{target}'.");
    }

    /// <summary>
    /// The gateway's revoke as of <paramref name="at"/> (when access was withdrawn): ends the user's
    /// or device's sessions signed in before then and refuses its tokens issued before then, also
    /// when no session is open here (the client may come back); a late delivery spares what came after.
    /// </summary>
    private async Task<CommandResult> RevokeAsync(string target, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        int count = await gateway.RevokeAsync(target, at, cancellationToken);
        return new CommandResult(true, $"revoke: {count} session(s) of '{target}' ended; its earlier tokens are refused.");
    }

    /// <summary>Whether a session has the id or the user name <paramref name="target"/>, as the gateway matches them.</summary>
    private async Task<bool> HasSessionAsync(string target, CancellationToken cancellationToken)
    {
        JsonArray sessions = await gateway.SessionsAsync(cancellationToken);
        foreach (JsonNode? session in sessions)
        {
            if (session?["id"]?.ToString() == target || session?["user"]?.ToString() == target)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<string> CollectLogsAsync(CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.AppendLine("== agent (recent lines)").AppendLine(agentLog.Snapshot());
        if (gatewayLogFile is null)
        {
            text.AppendLine("== gateway: no log file configured (GatewayLogFile)");
            return text.ToString();
        }

        text.Append("== gateway ").AppendLine(gatewayLogFile);
        try
        {
            await using var stream = new FileStream(gatewayLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long start = Math.Max(0, stream.Length - GatewayLogBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text.Append(await reader.ReadToEndAsync(cancellationToken));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text.Append("(cannot be read: ").Append(e.Message).AppendLine(")");
        }

        return text.ToString();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Running command {Kind} ({CommandId}) for {Target}.")]
    private static partial void LogRunning(ILogger logger, AgentCommandKind kind, Guid commandId, string target);
}
