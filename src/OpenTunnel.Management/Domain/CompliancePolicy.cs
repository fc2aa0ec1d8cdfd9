namespace OpenTunnel.Management.Domain;

/// <summary>Requirements an enrolled device must meet to be compliant.</summary>
public sealed class CompliancePolicy : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    /// <summary>The platform it applies to; null for every platform.</summary>
    public Platform? Platform { get; set; }

    /// <summary>Lowest OS version accepted (dotted numbers, e.g. "14.2"); null for any.</summary>
    public string? MinimumOsVersion { get; set; }

    public bool RequireDiskEncryption { get; set; }

    public bool RequireFirewall { get; set; }
}
