namespace OpenTunnel.Management.Domain;

/// <summary>
/// Which groups may use which sites, and what their device must be. A user reaches a site when
/// at least one enabled policy naming one of the user's groups and the site lets the device in.
/// </summary>
public sealed class ConditionalAccessPolicy : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    public bool Enabled { get; set; } = true;

    public List<Guid> GroupIds { get; set; } = [];

    public List<Guid> SiteIds { get; set; } = [];

    /// <summary>Enrolled devices must be compliant.</summary>
    public bool RequireCompliantDevice { get; set; } = true;

    /// <summary>Devices that are not enrolled (app-protected only) may connect.</summary>
    public bool AllowUnenrolledDevices { get; set; }
}
