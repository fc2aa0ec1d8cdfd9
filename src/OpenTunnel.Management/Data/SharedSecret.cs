namespace OpenTunnel.Management.Data;

/// <summary>
/// A secret every replica on the shared database needs (the agent CA, the identity provider's
/// keys, the data-protection keys): one row per name, the value encrypted with the replicas'
/// key-encryption key (<see cref="SecretEncryption"/>). The name is the primary key, so two
/// replicas creating the same secret at once store one.
/// </summary>
public sealed class SharedSecret
{
    public string Name { get; set; } = string.Empty;

    /// <summary>"v1." and base64 of nonce, tag and AES-256-GCM ciphertext; the name is the associated data.</summary>
    public string Value { get; set; } = string.Empty;

    public DateTime CreatedAt { get; set; }
}
