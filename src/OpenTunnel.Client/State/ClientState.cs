using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.State;

/// <summary>
/// The sign-in: the provider it is with and the refresh token that later tokens come from. The
/// provider rolls refresh tokens (each use gives a new one), so the file is rewritten on each use.
/// <see cref="CaPin"/> or <see cref="CaFile"/> is how the server's HTTPS certificate is trusted
/// (<c>signin --ca-pin</c>/<c>--ca-file</c>); neither: the system's trust store. <see cref="Unenrolled"/>:
/// signed in without a device (<c>signin --unenrolled</c>): gateway tokens are asked for without a device
/// assertion, and the provider marks them unmanaged.
/// </summary>
public sealed record SignInState(Uri Server, string Issuer, string TokenEndpoint, string RefreshToken, string Scope, DateTimeOffset SignedInAt, string? CaPin = null, string? CaFile = null,
    bool Unenrolled = false)
{
    /// <summary>What <c>signin</c>, <c>status</c> and <c>profiles</c> say of a sign-in without a device.</summary>
    public const string UnenrolledNote = "Signed in without a device (unenrolled): gateway tokens are marked unmanaged, and gateways give them only the access they give unmanaged devices.";

    /// <summary>Whether the sign-in granted <paramref name="scope"/> (the token answer's space-separated <c>scope</c>).</summary>
    public bool Grants(string scope) => Array.IndexOf(Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries), scope) >= 0;
}

/// <summary>The enrolled device: its id (the <c>iss</c> of its assertions), the name it reports, where it is enrolled, and the last verdict.</summary>
public sealed record EnrolledDevice(Guid DeviceId, string Name, Uri Server, string Issuer, DateTimeOffset EnrolledAt, string ComplianceState);

/// <summary>The user's VPN profiles as the management service last delivered them, with the ETag of that answer.</summary>
public sealed record StoredProfiles(Uri Server, string? ETag, DateTimeOffset FetchedAt, IReadOnlyList<DeviceProfile> Profiles)
{
    /// <summary>The profile named <paramref name="name"/> (names are unique per deployment), or null.</summary>
    public DeviceProfile? Find(string name) => Profiles.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
}

/// <summary>A running <c>connect</c> (or <c>always-on run</c>, <paramref name="AlwaysOn"/>): its process, the profile (null for <c>--gateway</c>), the gateway URL and since when.</summary>
public sealed record ConnectionState(int ProcessId, string? Profile, string Gateway, DateTimeOffset Since, bool AlwaysOn = false);

/// <summary>
/// The always-on profile <c>always-on enable</c> chose, the engine (<c>native</c> or <c>openconnect</c>;
/// a setting without one was made when always-on ran only openconnect) and the options <c>always-on run</c>
/// gives it (<c>--servercert</c>; for openconnect also <c>--script</c> and the options after --).
/// </summary>
public sealed record AlwaysOnSetting(string Profile, string? ServerCertificate, string? Script, IReadOnlyList<string> OpenConnectOptions, DateTimeOffset EnabledAt, string? Engine = null);

/// <summary>
/// The on-demand profile <c>on-demand enable</c> chose, the gateway certificate's pin and the DNS
/// stub's address that <c>on-demand run</c> uses.
/// </summary>
public sealed record OnDemandSetting(string Profile, string? ServerCertificate, string Listen, DateTimeOffset EnabledAt);

/// <summary>The state directory is missing something a verb needs, or holds something it must not overwrite; the message says what to run.</summary>
public sealed class ClientStateException : Exception
{
    public ClientStateException(string message)
        : base(message)
    {
    }

    public ClientStateException()
    {
    }

    public ClientStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
