namespace OpenTunnel.Management.Domain;

/// <summary>
/// One session a gateway held when its agent last reported its sessions (the newest
/// <see cref="SessionSnapshotStatus"/> of the server). Replaced as a whole by each snapshot;
/// deleted with its server.
/// </summary>
public sealed class LiveSessionEntry
{
    public Guid ServerId { get; set; }

    /// <summary>The gateway's session id; the target of disconnect and terminate on that server.</summary>
    public long SessionId { get; set; }

    public string UserName { get; set; } = string.Empty;

    public string? DeviceId { get; set; }

    /// <summary>The client's address and port (its latest TLS connection).</summary>
    public string ClientAddress { get; set; } = string.Empty;

    public string? Address { get; set; }

    public string? Address6 { get; set; }

    /// <summary>"TLS" or "DTLS"; null while the client is away, waiting for a reconnect.</summary>
    public string? Channel { get; set; }

    public DateTime SignedInAt { get; set; }

    public DateTime? ConnectedSince { get; set; }

    public long BytesIn { get; set; }

    public long BytesOut { get; set; }
}

/// <summary>When a server's newest session snapshot was taken and how many sessions the gateway held then. One row per server.</summary>
public sealed class SessionSnapshotStatus
{
    public Guid ServerId { get; set; }

    /// <summary>When the agent read the gateway's sessions.</summary>
    public DateTime TakenAt { get; set; }

    /// <summary>When the management service stored the snapshot.</summary>
    public DateTime ReceivedAt { get; set; }

    /// <summary>How many sessions the gateway held; more than the rows stored when the snapshot was cut at its limit.</summary>
    public int Total { get; set; }
}
