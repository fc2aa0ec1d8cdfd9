namespace OpenTunnel.Identity.Data;

/// <summary>The public key a device generated and enrolled with; its device assertions must verify with it.</summary>
public sealed class DeviceKey
{
    public Guid DeviceId { get; set; }

    /// <summary>The public key as a JSON Web Key (EC P-256 or RSA), without private parts.</summary>
    public string PublicKeyJwk { get; set; } = string.Empty;

    /// <summary>RFC 7638 thumbprint of the key, so one key cannot enrol two devices.</summary>
    public string Thumbprint { get; set; } = string.Empty;

    public DateTime CreatedAt { get; set; }
}

/// <summary>A device assertion already used (its <c>jti</c>), kept until it expires so it cannot be replayed.</summary>
public sealed class UsedDeviceAssertion
{
    /// <summary>Device id and <c>jti</c>, joined by a space.</summary>
    public string Id { get; set; } = string.Empty;

    public DateTime ExpiresAt { get; set; }
}
