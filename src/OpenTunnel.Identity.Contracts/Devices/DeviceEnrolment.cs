using System.Text.Json;

namespace OpenTunnel.Identity.Contracts.Devices;

/// <summary>Body of POST /api/v1/device-enrolment and of PUT …/{id}/posture (without the key).</summary>
public sealed record DeviceEnrolmentRequest(
    string? Name,
    string? Platform,
    string? OsVersion,
    bool? DiskEncrypted = null,
    bool? FirewallEnabled = null,
    bool? ScreenLockEnabled = null,
    JsonElement? PublicKey = null);

/// <summary>The answer: the device id (the <c>iss</c> of its assertions) and the management service's verdict.</summary>
public sealed record DeviceEnrolmentResponse(Guid DeviceId, string ComplianceState, IReadOnlyList<string> ComplianceReasons);

/// <summary>
/// Where a device enrols and re-reports its posture, and how it proves it holds its key there:
/// a <see cref="AssertionHeader"/> whose <c>aud</c> is <see cref="PostureUrl"/> under the issuer.
/// </summary>
public static class DeviceEnrolmentRoutes
{
    public const string Path = "/api/v1/device-enrolment";
    public const string AssertionHeader = "Device-Assertion";

    /// <summary>The posture URL of a device under <paramref name="baseUrl"/> (the server, or the issuer for the assertion's aud).</summary>
    public static string PostureUrl(string baseUrl, Guid deviceId)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return $"{baseUrl.TrimEnd('/')}{Path}/{deviceId}/posture";
    }
}

/// <summary>
/// Device assertions at the token endpoint: a JWT signed by the enrolled device key (RFC 7523
/// section 3 style: <c>iss</c> = <c>sub</c> = the device id, <c>aud</c> = the URL it is sent to, a
/// <c>jti</c> used once, a short <c>exp</c>), sent as the token request parameter <see cref="TokenParameter"/>.
/// </summary>
public static class DeviceAssertions
{
    /// <summary>Token request parameter that carries the device assertion.</summary>
    public const string TokenParameter = "device_assertion";
}
