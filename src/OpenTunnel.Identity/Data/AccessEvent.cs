namespace OpenTunnel.Identity.Data;

/// <summary>What ended a user's or a device's right to be connected.</summary>
public enum AccessEventKind
{
    DeviceNonCompliant,
    DeviceRetired,
    DeviceRemoved,
    UserDisabled,
    UserRemoved,
    UserGroupsChanged,
    SessionsRevoked,
    CredentialsChanged,
    ConditionalAccessChanged,
}

/// <summary>
/// A continuous-access-evaluation event: recorded in the same save as the change that caused it,
/// then delivered to the gateways (their sessions of the user or device end) and marked delivered.
/// </summary>
public sealed class AccessEvent
{
    public long Id { get; set; }

    public DateTime At { get; set; }

    public AccessEventKind Kind { get; set; }

    /// <summary>The user whose sessions end; null when the event names a device only.</summary>
    public Guid? UserId { get; set; }

    /// <summary>The user's sign-in name at the time, for the logs (kept here: the user may be gone when the event is delivered).</summary>
    public string? UserName { get; set; }

    /// <summary>The device whose sessions end; null when the event names a user only.</summary>
    public Guid? DeviceId { get; set; }

    public string Reason { get; set; } = string.Empty;

    /// <summary>When every gateway acknowledged it; null while delivery is pending.</summary>
    public DateTime? DeliveredAt { get; set; }

    /// <summary>
    /// What gateways terminate: the device's sessions (its id) for a device event, else the user's,
    /// by user id, which is the <c>sub</c> of the user's tokens: a user name can change or be
    /// given to someone else, the id cannot.
    /// </summary>
    public string? Target => DeviceId?.ToString() ?? UserId?.ToString();
}
