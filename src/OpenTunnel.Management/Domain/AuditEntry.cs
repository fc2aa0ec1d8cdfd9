namespace OpenTunnel.Management.Domain;

/// <summary>One change: who made it, when, to what, and the object before and after (JSON).</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTime At { get; set; }

    /// <summary>"user:NAME" for a token, "api-key:NAME" for a key, "system" for the service itself.</summary>
    public string Actor { get; set; } = string.Empty;

    public AuditAction Action { get; set; }

    public string EntityType { get; set; } = string.Empty;

    public Guid EntityId { get; set; }

    public string? Before { get; set; }

    public string? After { get; set; }
}

public enum AuditAction
{
    Created,
    Updated,
    Deleted,
}
