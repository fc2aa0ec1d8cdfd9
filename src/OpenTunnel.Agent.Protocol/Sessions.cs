namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// One session a gateway holds now, as its agent reports it in a <see cref="SessionSnapshot"/>.
/// </summary>
/// <param name="SessionId">The gateway's session id (as its sessions verb shows it); the target of disconnect and terminate.</param>
/// <param name="User">The signed-in user's name.</param>
/// <param name="DeviceId">The token's device id; null when it had none.</param>
/// <param name="ClientAddress">The client's address and port of its latest TLS connection.</param>
/// <param name="Address">The leased IPv4 address; null while the session holds none.</param>
/// <param name="Address6">The leased IPv6 address; null when the session has none.</param>
/// <param name="Channel">The data channel, "TLS" or "DTLS"; null while the client is not connected (waiting for a reconnect).</param>
/// <param name="SignedInAt">When the user signed in (UTC).</param>
/// <param name="ConnectedSince">When the current tunnel connection came up (UTC); null while not connected.</param>
/// <param name="BytesIn">Bytes from the client through the tunnel.</param>
/// <param name="BytesOut">Bytes to the client through the tunnel.</param>
public sealed record LiveSession(
    long SessionId,
    string User,
    string? DeviceId,
    string ClientAddress,
    string? Address,
    string? Address6,
    string? Channel,
    DateTime SignedInAt,
    DateTime? ConnectedSince,
    long BytesIn,
    long BytesOut);

/// <summary>
/// Body of POST /agent/v1/sessions: the sessions one gateway held at <see cref="TakenAt"/>. The
/// management service keeps only the newest snapshot of each server. A gateway with more than
/// <see cref="MaximumSessions"/> sessions sends the first of them; <see cref="Total"/> says how
/// many it held.
/// </summary>
/// <param name="TakenAt">When the agent read the gateway's sessions (UTC).</param>
/// <param name="Total">How many sessions the gateway held then; more than the list when it was cut.</param>
/// <param name="Sessions">The sessions, at most <see cref="MaximumSessions"/>.</param>
public sealed record SessionSnapshot(DateTime TakenAt, int Total, IReadOnlyList<LiveSession> Sessions)
{
    /// <summary>The most sessions one snapshot holds; the service refuses a larger one.</summary>
    public const int MaximumSessions = 10_000;
}
