using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Sessions;

/// <summary>
/// The gateway's answer to its <c>sessions</c> control command (an array of objects, see
/// docs/gateway.md#control-api) as the snapshot the agent sends to the management service.
/// </summary>
public static class LiveSessions
{
    /// <summary>
    /// The snapshot of <paramref name="sessions"/> taken at <paramref name="takenAt"/>: the first
    /// <see cref="SessionSnapshot.MaximumSessions"/> sessions, with the gateway's whole count.
    /// </summary>
    /// <exception cref="FormatException">An entry lacks a field the snapshot needs, or holds a value of the wrong kind.</exception>
    public static SessionSnapshot From(JsonArray sessions, DateTime takenAt)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        int kept = Math.Min(sessions.Count, SessionSnapshot.MaximumSessions);
        var list = new List<LiveSession>(kept);
        for (int i = 0; i < kept; i++)
        {
            list.Add(Read(sessions[i] as JsonObject ?? throw new FormatException($"sessions[{i}] is not an object."), i));
        }

        return new SessionSnapshot(takenAt, sessions.Count, list);
    }

    private static LiveSession Read(JsonObject session, int index)
    {
        string? channel = Optional<string>(session, "channel", index);
        return new LiveSession(
            Required<long>(session, "id", index),
            Required<string>(session, "user", index),
            Optional<string>(session, "deviceId", index),
            Required<string>(session, "client", index),
            Optional<string>(session, "address", index),
            Optional<string>(session, "address6", index),

            // The gateway says "none" while the client is away (waiting for a reconnect).
            channel is null or "none" ? null : channel,
            Required<DateTimeOffset>(session, "signedInAt", index).UtcDateTime,
            session["connectedSince"] is null ? (DateTime?)null : Required<DateTimeOffset>(session, "connectedSince", index).UtcDateTime,
            session["bytesIn"] is null ? 0 : Required<long>(session, "bytesIn", index),
            session["bytesOut"] is null ? 0 : Required<long>(session, "bytesOut", index));
    }

    private static T Required<T>(JsonObject session, string field, int index) =>
        session[field] is null ? throw new FormatException($"sessions[{index}] has no \"{field}\".") : Optional<T>(session, field, index)!;

    private static T? Optional<T>(JsonObject session, string field, int index)
    {
        try
        {
            return session[field] is { } value ? value.Deserialize<T>() : default;
        }
        catch (JsonException e)
        {
            throw new FormatException($"sessions[{index}].{field} holds a value of the wrong kind: {e.Message}", e);
        }
    }
}
