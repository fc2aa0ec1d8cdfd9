using System.Text.Json.Nodes;

namespace OpenTunnel.Agent.Gateway;

/// <summary>
/// What the agent asks of the gateway beside it, through the gateway's local control API
/// (the same requests as the gateway's CLI verbs).
/// </summary>
public interface IGatewayControl
{
    /// <summary>The gateway's status object (sessions, traffic counters, certificate, listen address, pool).</summary>
    Task<JsonObject> StatusAsync(CancellationToken cancellationToken);

    /// <summary>The sessions, each with id and user.</summary>
    Task<JsonArray> SessionsAsync(CancellationToken cancellationToken);

    /// <summary>Validates the configuration document and swaps it in; throws <see cref="GatewayRefusedException"/> with the gateway's reasons.</summary>
    Task ApplyAsync(JsonObject configuration, CancellationToken cancellationToken);

    /// <summary>"disconnect" or "terminate" of a user's sessions or one session id; returns how many.</summary>
    Task<int> EndSessionsAsync(string command, string target, CancellationToken cancellationToken);

    /// <summary>Stops (or resumes) taking new sessions.</summary>
    Task DrainAsync(bool draining, CancellationToken cancellationToken);
}

/// <summary>The gateway answered and refused the request; the message is its reason.</summary>
public sealed class GatewayRefusedException : Exception
{
    public GatewayRefusedException()
    {
    }

    public GatewayRefusedException(string message)
        : base(message)
    {
    }

    public GatewayRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The gateway's control socket could not be reached or gave no answer: the gateway is down or restarting.</summary>
public sealed class GatewayUnavailableException : Exception
{
    public GatewayUnavailableException()
    {
    }

    public GatewayUnavailableException(string message)
        : base(message)
    {
    }

    public GatewayUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
