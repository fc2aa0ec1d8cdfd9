namespace OpenTunnel.Management.Domain;

/// <summary>
/// What every object an administrator manages carries: a stable id, a version that grows on
/// each change (the API's ETag and the concurrency token of the row, so two replicas on one
/// database cannot overwrite each other's writes) and its creation and change times (UTC).
/// </summary>
public abstract class ManagedObject
{
    public Guid Id { get; set; }

    /// <summary>1 when created, one more on each change.</summary>
    public long Version { get; set; } = 1;

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>An object administrators find by name; the name is unique among its kind unless the kind says otherwise.</summary>
public interface INamedObject
{
    string Name { get; }
}
