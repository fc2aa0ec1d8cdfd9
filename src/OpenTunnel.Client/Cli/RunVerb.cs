using System.Diagnostics;
using OpenTunnel.Client.Connect;
using OpenTunnel.Client.Profiles;
using OpenTunnel.Client.State;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel run --profile NAME -- COMMAND [ARGS…]</c>: runs the command with the profile's
/// proxy in its environment (<see cref="ProxyEnvironment"/>), from the stored profiles (which
/// <c>signin</c>, <c>profiles</c> and a running <c>connect</c> keep fresh). Per-app isolation (only
/// this command's traffic through the tunnel) is not done yet: the tunnel, when up, carries the
/// whole machine's traffic to its routes.
/// </summary>
public static class RunVerb
{
    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        if (arguments.Extra.Count == 0)
        {
            throw new UsageException("'run' needs the command after '--', for example: opentunnel run --profile office -- curl https://intranet/.");
        }

        string name = arguments["profile"]!;
        StoredProfiles profiles = environment.State.FindProfiles()
            ?? throw new ClientStateException($"No VPN profiles are stored ({environment.State.ProfilesFile} does not exist): run 'opentunnel profiles' or 'opentunnel signin'.");
        DeviceProfile profile = profiles.Find(name)
            ?? throw new ClientStateException($"No VPN profile '{name}' is stored (fetched {profiles.FetchedAt:u}); run 'opentunnel profiles' to fetch them again.");
        var info = new ProcessStartInfo(arguments.Extra[0]) { UseShellExecute = false };
        foreach (string argument in arguments.Extra.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string variable, string value) in ProxyEnvironment.For(profile.Proxy))
        {
            info.Environment[variable] = value;
        }

        int? exitCode = await ForegroundProcess.RunAsync(info);
        if (exitCode is null)
        {
            environment.Error.WriteLine($"'{arguments.Extra[0]}' cannot be started: it is not installed or not on PATH.");
            return ClientCommandLine.ProgramMissing;
        }

        return exitCode.Value;
    }
}
