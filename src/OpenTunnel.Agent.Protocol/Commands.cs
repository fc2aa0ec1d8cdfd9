namespace OpenTunnel.Agent.Protocol;

/// <summary>What an administrator can ask one gateway to do through its agent.</summary>
public enum AgentCommandKind
{
    /// <summary>Close the sessions of a user or one session id; their cookies stay valid and clients reconnect (occtl disconnect).</summary>
    Disconnect,

    /// <summary>End the sessions of a user or one session id and revoke their cookies (occtl terminate).</summary>
    Terminate,

    /// <summary>Continuous access evaluation: end every session of a user at once and revoke the cookies, because the user's access was withdrawn.</summary>
    RevokeSessions,

    /// <summary>Upload the recent gateway and agent logs.</summary>
    CollectLogs,
}

/// <summary>A command as the agent receives it.</summary>
/// <param name="Id">The command's id, for its result.</param>
/// <param name="Kind">What to do.</param>
/// <param name="Target">The user name or session id, for the session commands.</param>
/// <param name="At">When the command was given; for revokeSessions, the moment access was withdrawn (a late delivery spares what came after it).</param>
public sealed record AgentCommandMessage(Guid Id, AgentCommandKind Kind, string? Target, DateTimeOffset? At = null);

/// <summary>Body of POST /agent/v1/commands/{id}/result.</summary>
/// <param name="Succeeded">Whether the command did what it was asked.</param>
/// <param name="Output">What the command did, or the collected logs, or why it failed.</param>
public sealed record CommandResult(bool Succeeded, string? Output);
