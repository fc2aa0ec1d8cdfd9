using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OpenTunnel.Gateway.Contracts.Control;

/// <summary>
/// One ended session in the answer to <see cref="ControlRequest.EndedSessions"/>: who, from where,
/// with which leased addresses, when, why it ended and the bytes each way (from the client is
/// <c>bytesIn</c>). <see cref="RecordId"/> is unique to the record and stays the same each time it
/// is read; <see cref="Sequence"/> orders the records of one journal.
/// </summary>
public sealed record EndedSessionRecord(
    long Sequence,
    Guid RecordId,
    long SessionId,
    string User,
    string? Subject,
    string? DeviceId,
    string Client,
    string? Address,
    string? Address6,
    DateTimeOffset SignedInAt,
    DateTimeOffset EndedAt,
    string Reason,
    long BytesIn,
    long BytesOut);

/// <summary>
/// The answer to <see cref="ControlRequest.EndedSessions"/>: the gateway's journal id (new at each
/// start), the records dropped because nobody took them in time since the start, and the records
/// waiting, oldest first.
/// </summary>
public sealed record EndedSessionsAnswer(Guid Journal, long Dropped, IReadOnlyList<EndedSessionRecord> Sessions)
{
    public JsonNode ToJson() => JsonSerializer.SerializeToNode(this, EndedSessionsJson.Default.EndedSessionsAnswer)!;

    /// <summary>Reads an answer; a <see cref="JsonException"/> or <see cref="FormatException"/> when it is not one.</summary>
    public static EndedSessionsAnswer FromJson(JsonNode? result) =>
        result.Deserialize(EndedSessionsJson.Default.EndedSessionsAnswer) is { Sessions: not null } answer
            ? answer
            : throw new FormatException("The gateway's ended-sessions answer has no \"sessions\" list.");
}

/// <summary>The ended-sessions answer's JSON (web defaults: camelCase names), generated at build time for the gateway's native build.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EndedSessionsAnswer))]
internal sealed partial class EndedSessionsJson : JsonSerializerContext;
