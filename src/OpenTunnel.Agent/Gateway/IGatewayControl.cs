using System.Text.Json.Nodes;
using OpenTunnel.Gateway.Contracts.Control;

namespace OpenTunnel.Agent.Gateway;

/// <summary>
/// What the agent asks of the gateway beside it, through the gateway's local control API (the
/// requests of the gateway's CLI verbs). A gateway that cannot be asked throws the gateway's
/// <c>ControlUnavailableException</c>; one that refuses throws <c>ControlRefusedException</c>
/// with its reason.
/// </summary>
public interface IGatewayControl
{
    /// <summary>The gateway's status object (sessions, traffic counters, certificate, listen address, pool, drain).</summary>
    Task<JsonObject> StatusAsync(CancellationToken cancellationToken);

    /// <summary>The sessions, each with id and user.</summary>
    Task<JsonArray> SessionsAsync(CancellationToken cancellationToken);

    /// <summary>Validates the configuration document and swaps it in.</summary>
    Task ApplyAsync(JsonObject configuration, CancellationToken cancellationToken);

    /// <summary>"disconnect" or "terminate" of a user's sessions or one session id; returns how many.</summary>
    Task<int> EndSessionsAsync(string command, string target, CancellationToken cancellationToken);

    /// <summary>
    /// "revoke" of a user or device as of <paramref name="at"/>: its sessions signed in before then end
    /// and its tokens issued before then are refused; returns how many sessions ended.
    /// </summary>
    Task<int> RevokeAsync(string target, DateTimeOffset? at, CancellationToken cancellationToken);

    /// <summary>
    /// The ended sessions the gateway holds for the access log (at most <paramref name="limit"/>),
    /// after it forgot those of <paramref name="journal"/> up to <paramref name="acknowledged"/>.
    /// </summary>
    Task<EndedSessionsAnswer> TakeEndedSessionsAsync(Guid? journal, long acknowledged, int limit, CancellationToken cancellationToken);

    /// <summary>Stops (or resumes) taking new sessions.</summary>
    Task DrainAsync(bool draining, CancellationToken cancellationToken);
}
