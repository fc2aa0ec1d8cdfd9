namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// One ended VPN session for the access log. <see cref="Id"/> is made by the gateway when the
/// session ends and is the record's identity: the management service stores each id once, so a
/// batch sent again after a lost answer is harmless. <see cref="Sequence"/> is the agent's queue
/// number (rising within a batch), not part of the record.
/// </summary>
/// <param name="Sequence">The agent's queue number of the record.</param>
/// <param name="Id">The record's id, unique, made by the gateway.</param>
/// <param name="GatewaySessionId">The gateway's short session id (as its sessions verb shows it); not unique across gateway restarts.</param>
/// <param name="User">The signed-in user's name.</param>
/// <param name="Subject">The token's <c>sub</c>; null when it had none.</param>
/// <param name="DeviceId">The token's device id; null when it had none.</param>
/// <param name="ClientAddress">The client's address and port of its latest TLS connection.</param>
/// <param name="Address">The leased IPv4 address; null when the session never connected.</param>
/// <param name="Address6">The leased IPv6 address; null when the session had none.</param>
/// <param name="StartedAt">When the user signed in (UTC).</param>
/// <param name="EndedAt">When the session ended (UTC).</param>
/// <param name="Reason">Why it ended, as the gateway logs it (for example "client disconnected", "idle timeout").</param>
/// <param name="BytesIn">Bytes from the client through the tunnel.</param>
/// <param name="BytesOut">Bytes to the client through the tunnel.</param>
public sealed record AccessRecord(
    long Sequence,
    Guid Id,
    long GatewaySessionId,
    string User,
    string? Subject,
    string? DeviceId,
    string ClientAddress,
    string? Address,
    string? Address6,
    DateTime StartedAt,
    DateTime EndedAt,
    string Reason,
    long BytesIn,
    long BytesOut);

/// <summary>Body of POST /agent/v1/access-log: records oldest first.</summary>
public sealed record AccessRecordBatch(IReadOnlyList<AccessRecord> Records)
{
    /// <summary>The most records one batch holds; the service refuses a larger one.</summary>
    public const int MaximumRecords = 500;
}

/// <summary>The answer to a batch: how many records were new and how many the service held already.</summary>
public sealed record AccessRecordAcknowledgement(int Stored, int Duplicates);
