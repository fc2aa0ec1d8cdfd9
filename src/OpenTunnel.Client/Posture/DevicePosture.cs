using System.Text.Json;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Posture;

/// <summary>
/// What the client reports about this machine: the fields of the enrolment and posture bodies
/// (docs/identity.md), each security answer with how it was found.
/// </summary>
public sealed record DevicePosture(string Name, string OsName, string OsVersion, PostureFinding DiskEncryption, PostureFinding Firewall, PostureFinding ScreenLock)
{
    /// <summary>The platform name the management service knows (its Platform enumeration).</summary>
    public const string Platform = "Linux";

    /// <summary>
    /// The enrolment or posture request: name, platform, OS version and the three answers (null =
    /// could not tell); with the device's public key (a JWK) at enrolment.
    /// </summary>
    public DeviceEnrolmentRequest Request(JsonElement? publicKey = null) =>
        new(Name, Platform, OsVersion, DiskEncryption.Value, Firewall.Value, ScreenLock.Value, publicKey);

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
