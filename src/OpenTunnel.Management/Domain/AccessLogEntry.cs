namespace OpenTunnel.Management.Domain;

/// <summary>
/// One ended VPN session in the access log, as a gateway's agent reported it. The server's and
/// site's names are kept as they were, so the record still reads after the server is renamed or
/// deleted. Kept for Management:AccessLog:RetentionDays after the session ended.
/// </summary>
public sealed class AccessLogEntry
{
    /// <summary>The longest names, user name, subject, device id and reason stored.</summary>
    public const int MaximumText = 256;

    /// <summary>The order records were stored in; the tie-breaker of the list order.</summary>
    public long Id { get; set; }

    /// <summary>The record's id, made by the gateway when the session ended; stored once.</summary>
    public Guid RecordId { get; set; }

    public Guid ServerId { get; set; }

    public string ServerName { get; set; } = string.Empty;

    public Guid SiteId { get; set; }

    public string SiteName { get; set; } = string.Empty;

    /// <summary>The gateway's short session id (its sessions verb); not unique across gateway restarts.</summary>
    public long GatewaySessionId { get; set; }

    public string UserName { get; set; } = string.Empty;

    /// <summary>The token's <c>sub</c>, when it had one.</summary>
    public string? Subject { get; set; }

    public string? DeviceId { get; set; }

    /// <summary>The client's address and port (its latest TLS connection).</summary>
    public string ClientAddress { get; set; } = string.Empty;

    /// <summary>The leased IPv4 address; null when the session never connected.</summary>
    public string? Address { get; set; }

    /// <summary>The leased IPv6 address, when it had one.</summary>
    public string? Address6 { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime EndedAt { get; set; }

    /// <summary>Why the session ended, as the gateway logged it.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>Bytes from the client through the tunnel.</summary>
    public long BytesIn { get; set; }

    /// <summary>Bytes to the client through the tunnel.</summary>
    public long BytesOut { get; set; }

    /// <summary>When the management service stored it.</summary>
    public DateTime ReceivedAt { get; set; }
}
