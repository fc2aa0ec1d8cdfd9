using System.Globalization;
using System.Text.Json;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.Profiles;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel profiles [--json]</c>: fetches the user's VPN profiles (If-None-Match with the
/// stored ETag) and lists them; when the service cannot be reached, the stored ones, saying so. After
/// a sign-in without a device it says that the gateways give it only unmanaged access.
/// </summary>
public static class ProfilesVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        StoredProfiles profiles;
        try
        {
            (profiles, _) = await environment.Profiles.RefreshAsync(cancellationToken);
        }
        catch (ProviderException e) when (!e.Refused && environment.State.FindProfiles() is { } stored)
        {
            environment.Error.WriteLine($"{e.Message}\nShowing the profiles fetched at {stored.FetchedAt:u}.");
            profiles = stored;
        }

        if (arguments.Has("json"))
        {
            environment.Out.WriteLine(JsonSerializer.Serialize(profiles, StateJson.Default.StoredProfiles));
            return ExitCodes.Success;
        }

        if (profiles.Profiles.Count == 0)
        {
            environment.Out.WriteLine($"No VPN profile of {profiles.Server} is assigned to you (for Linux).");
        }

        foreach (DeviceProfile profile in profiles.Profiles)
        {
            environment.Out.WriteLine(Describe(profile));
        }

        if (environment.State.LoadSignIn().Unenrolled)
        {
            environment.Out.WriteLine(SignInState.UnenrolledNote);
        }

        return ExitCodes.Success;
    }

    /// <summary>"NAME  site S (ADDRESS:PORT)  proxy …", the line <c>profiles</c> and <c>status</c> print.</summary>
    public static string Describe(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return string.Create(CultureInfo.InvariantCulture,
            $"{profile.Name}  site {profile.Site.Name} ({ConnectVerb.GatewayUrl(profile.Site)})  proxy {ProxyEnvironment.Describe(profile.Proxy)}")
            + (profile.PerAppIdentifiers.Count > 0 ? $"  per-app {string.Join(", ", profile.PerAppIdentifiers)}" : string.Empty)
            + (profile.AlwaysOn ? profile.Lockdown ? "  always-on with lockdown" : "  always-on" : string.Empty);
    }
}
