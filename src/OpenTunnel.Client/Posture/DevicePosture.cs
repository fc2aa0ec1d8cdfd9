namespace OpenTunnel.Client.Posture;

/// <summary>
/// What the client reports about this machine: the fields of the enrolment and posture bodies
/// (docs/identity.md), each security answer with how it was found.
/// </summary>
public sealed record DevicePosture(string Name, string OsName, string OsVersion, PostureFinding DiskEncryption, PostureFinding Firewall, PostureFinding ScreenLock)
{
    /// <summary>The platform name the management service knows (its Platform enumeration).</summary>
    public const string Platform = "Linux";

    /// <summary>The request body: name, platform, osVersion, diskEncrypted, firewallEnabled, screenLockEnabled (null = could not tell).</summary>
    public Dictionary<string, object?> Body() => new()
    {
        ["name"] = Name,
        ["platform"] = Platform,
        ["osVersion"] = OsVersion,
        ["diskEncrypted"] = DiskEncryption.Value,
        ["firewallEnabled"] = Firewall.Value,
        ["screenLockEnabled"] = ScreenLock.Value,
    };

    /// <summary>The lines `opentunnel posture` and `enrol` print.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"  device name:     {Name}";
        yield return $"  OS:              {OsName} {OsVersion}";
        yield return $"  disk encryption: {DiskEncryption.Answer} ({DiskEncryption.Evidence})";
        yield return $"  firewall:        {Firewall.Answer} ({Firewall.Evidence})";
        yield return $"  screen lock:     {ScreenLock.Answer} ({ScreenLock.Evidence})";
    }
}
