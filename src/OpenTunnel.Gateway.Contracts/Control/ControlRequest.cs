using System.Globalization;
using System.Text.Json.Nodes;

namespace OpenTunnel.Gateway.Contracts.Control;

/// <summary>
/// The requests of the gateway's control socket: one JSON object per line with a
/// <c>"command"</c> and its arguments, answered by <c>{"ok":true,"result":...}</c> or
/// <c>{"ok":false,"error":"..."}</c>. The gateway dispatches on these command names; the
/// management agent builds its requests here.
/// </summary>
public static class ControlRequest
{
    public const string Status = "status";
    public const string Sessions = "sessions";
    public const string Disconnect = "disconnect";
    public const string Terminate = "terminate";
    public const string Revoke = "revoke";
    public const string Reload = "reload";
    public const string Apply = "apply";
    public const string Drain = "drain";
    public const string Bans = "bans";
    public const string Unban = "unban";
    public const string EndedSessions = "ended-sessions";

    /// <summary>The most records one <see cref="EndedSessions"/> answer holds.</summary>
    public const int MaximumEndedSessions = 1000;

    /// <summary>A request with no arguments (<see cref="Status"/>, <see cref="Sessions"/>).</summary>
    public static JsonObject Command(string command) => new() { ["command"] = command };

    /// <summary>Validate <paramref name="configuration"/> (a whole configuration document) and swap it in.</summary>
    public static JsonObject ApplyConfiguration(JsonObject configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new JsonObject { ["command"] = Apply, ["configuration"] = configuration.DeepClone() };
    }

    /// <summary><see cref="Disconnect"/> or <see cref="Terminate"/> the sessions of a user, or one session id.</summary>
    public static JsonObject EndSessions(string command, string target) => new() { ["command"] = command, ["target"] = target };

    /// <summary><see cref="Revoke"/> a user or device as of <paramref name="at"/> (now when null).</summary>
    public static JsonObject RevokeTarget(string target, DateTimeOffset? at)
    {
        var request = new JsonObject { ["command"] = Revoke, ["target"] = target };
        if (at is { } moment)
        {
            request["at"] = moment.ToString("O", CultureInfo.InvariantCulture);
        }

        return request;
    }

    /// <summary>
    /// The ended sessions the gateway holds for the access log, up to <paramref name="limit"/>,
    /// after it forgot those up to <paramref name="acknowledged"/> of <paramref name="journal"/>
    /// (the journal and highest sequence of the previous answer, which the caller has stored).
    /// </summary>
    public static JsonObject TakeEndedSessions(Guid? journal, long acknowledged, int limit)
    {
        var request = new JsonObject { ["command"] = EndedSessions, ["limit"] = limit };
        if (journal is { } id)
        {
            request["journal"] = id.ToString();
            request["acknowledge"] = acknowledged;
        }

        return request;
    }

    /// <summary>Stop (or resume) taking new sessions.</summary>
    public static JsonObject DrainSessions(bool enabled) => new() { ["command"] = Drain, ["enabled"] = enabled };
}
