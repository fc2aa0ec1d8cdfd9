namespace OpenTunnel.Identity.Contracts;

/// <summary>Whether a device is managed; the management service's enrolment state.</summary>
public enum DeviceEnrolment
{
    Enrolled,
    AppProtected,
    Retired,

    /// <summary>Enrolled, waiting for an administrator's approval (Identity:DeviceApproval administrator).</summary>
    Pending,
}

/// <summary>The management service's verdict on a device's posture.</summary>
public enum DeviceCompliance
{
    Unknown,
    Compliant,
    NonCompliant,
}

/// <summary>A device as conditional access sees it.</summary>
public sealed record DirectoryDevice(Guid Id, Guid OwnerId, DeviceEnrolment Enrolment, DeviceCompliance Compliance, IReadOnlyList<string> Reasons);

/// <summary>
/// What a device reports about itself at enrolment and on each re-report. Null means the device
/// could not tell (Linux exposes screen lock, for example, only through the desktop session).
/// </summary>
public sealed record DevicePosture(
    string Name,
    string Platform,
    string OsVersion,
    bool? DiskEncrypted,
    bool? FirewallEnabled,
    bool? ScreenLockEnabled);

/// <summary>
/// The devices of the management service: lookup, and enrolment and posture reports, after which
/// the management service evaluates compliance with its policies. Implemented by the management
/// service over its database; its writes join the caller's unit of work (same scoped context).
/// </summary>
public interface IDeviceDirectory
{
    Task<DirectoryDevice?> FindAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Creates an enrolled device of <paramref name="ownerId"/> and evaluates its compliance; not saved yet.</summary>
    Task<DeviceWrite> EnrolAsync(Guid ownerId, DevicePosture posture, CancellationToken cancellationToken);

    /// <summary>Stores a new report of an enrolled device and evaluates its compliance again; not saved yet.</summary>
    Task<DeviceWrite> ReportAsync(Guid deviceId, DevicePosture posture, CancellationToken cancellationToken);
}

/// <summary>The device after a write, or the errors (by JSON field name) that refused the report.</summary>
public sealed record DeviceWrite(DirectoryDevice? Device, IDictionary<string, string[]>? Errors);
