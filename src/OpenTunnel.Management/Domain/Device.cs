namespace OpenTunnel.Management.Domain;

/// <summary>A user's device: what it reports about itself and the compliance state that follows.</summary>
public sealed class Device : ManagedObject, INamedObject
{
    public string Name { get; set; } = string.Empty;

    public Guid OwnerId { get; set; }

    public Platform Platform { get; set; }

    public string OsVersion { get; set; } = string.Empty;

    public EnrolmentState EnrolmentState { get; set; }

    /// <summary>Whether the device reports its disk encrypted; null if it did not say.</summary>
    public bool? DiskEncrypted { get; set; }

    /// <summary>Whether the device reports its firewall on; null if it did not say.</summary>
    public bool? FirewallEnabled { get; set; }

    /// <summary>Whether the device reports a screen lock; null if it did not say (Linux knows it only inside a desktop session).</summary>
    public bool? ScreenLockEnabled { get; set; }

    public ComplianceState ComplianceState { get; set; } = ComplianceState.Unknown;

    /// <summary>Why the device is not compliant; empty when it is.</summary>
    public List<string> ComplianceReasons { get; set; } = [];

    public DateTime? LastSeen { get; set; }
}

public enum EnrolmentState
{
    /// <summary>Managed: it reports its state and can be compliant.</summary>
    Enrolled,

    /// <summary>Not managed, only its apps are protected; never compliant.</summary>
    AppProtected,

    Retired,

    /// <summary>Enrolled while Identity:DeviceApproval is administrator, waiting for an administrator's approval; not compliant until then.</summary>
    Pending,
}

public enum ComplianceState
{
    Unknown,
    Compliant,
    NonCompliant,
}
