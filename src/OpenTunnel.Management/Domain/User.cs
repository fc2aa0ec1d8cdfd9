namespace OpenTunnel.Management.Domain;

/// <summary>
/// A person who signs in. Only what management needs lives here (name, display name, enabled,
/// groups); the identity provider (issue #6) adds its credentials in its own tables keyed by
/// <see cref="ManagedObject.Id"/>.
/// </summary>
public sealed class User : ManagedObject, INamedObject
{
    /// <summary>The sign-in name, unique.</summary>
    public string Name { get; set; } = string.Empty;

    public string DisplayName { get; set; } = string.Empty;

    public bool Enabled { get; set; } = true;

    public List<Guid> GroupIds { get; set; } = [];
}

/// <summary>A group of users, the unit that profiles and conditional access are assigned to.</summary>
public sealed class Group : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public string DisplayName { get; set; } = string.Empty;

    public string? Description { get; set; }
}
