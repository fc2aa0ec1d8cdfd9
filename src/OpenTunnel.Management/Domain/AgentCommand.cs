using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Management.Domain;

/// <summary>
/// A command for one server's agent, from an administrator. It is delivered once, with the next
/// poll of the agent, and the agent reports how it went.
/// </summary>
public sealed class AgentCommand
{
    public Guid Id { get; set; }

    public Guid ServerId { get; set; }

    public AgentCommandKind Kind { get; set; }

    /// <summary>A user name or session id for the session commands; null for collect-logs.</summary>
    public string? Target { get; set; }

    /// <summary>Who asked, as in the audit log.</summary>
    public string Actor { get; set; } = string.Empty;

    public AgentCommandState State { get; set; } = AgentCommandState.Pending;

    public DateTime CreatedAt { get; set; }

    public DateTime? DeliveredAt { get; set; }

    public DateTime? CompletedAt { get; set; }

    /// <summary>What the command did, the collected logs, or why it failed.</summary>
    public string? Output { get; set; }
}

public enum AgentCommandState
{
    Pending,
    Delivered,
    Succeeded,
    Failed,
}
