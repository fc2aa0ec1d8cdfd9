using System.Text.Json.Serialization;

namespace OpenTunnel.Management.Domain;

/// <summary>A key for automation. Only the SHA-256 hash of the key is stored.</summary>
public sealed class ApiKey : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public string Role { get; set; } = ManagementRoles.ReadOnly;

    [JsonIgnore]
    public string KeyHash { get; set; } = string.Empty;

    public DateTime? ExpiresAt { get; set; }
}

/// <summary>The two administrator roles, as they appear in a token's role claim and on API keys.</summary>
public static class ManagementRoles
{
    public const string ReadOnly = "read-only";
    public const string FullAdmin = "full-admin";

    public static bool IsKnown(string? role) => role is ReadOnly or FullAdmin;
}
