using System.Text.Json.Serialization;

namespace OpenTunnel.Management.Domain;

/// <summary>
/// A one-time secret that lets one server join a site. Only its SHA-256 hash is stored; the
/// secret is shown once, when it is created.
/// </summary>
public sealed class EnrolmentToken
{
    public Guid Id { get; set; }

    public Guid SiteId { get; set; }

    [JsonIgnore]
    public string TokenHash { get; set; } = string.Empty;

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? RedeemedAt { get; set; }

    public Guid? RedeemedByServerId { get; set; }
}
