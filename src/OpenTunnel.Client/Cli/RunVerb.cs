using System.Diagnostics;
using OpenTunnel.Client.Connect;
using OpenTunnel.Client.PerApp;
using OpenTunnel.Client.Profiles;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel run --profile NAME -- COMMAND [ARGS…]</c>: runs the command with the profile's
/// proxy in its environment (<see cref="ProxyEnvironment"/>), from the stored profiles (which
/// <c>signin</c>, <c>profiles</c> and a running <c>connect</c> keep fresh). For a per-app profile
/// (<see cref="AppNamespace"/>) the command must be one of the profile's apps, and it runs inside the
/// profile's network namespace, where the tunnel that <c>connect PROFILE</c> keeps up and its DNS are
/// the only network it has; otherwise it runs where it is, and the tunnel (when up) is the whole
/// machine's.
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
        ProcessStartInfo info;
        if (AppNamespace.IsPerApp(profile))
        {
            string? program = AppNamespace.FindProgram(arguments.Extra[0], Environment.GetEnvironmentVariable("PATH"));
            if (program is null)
            {
                environment.Error.WriteLine($"'{arguments.Extra[0]}' cannot be started: it is not installed or not on PATH.");
                return ClientCommandLine.ProgramMissing;
            }

            if (!AppNamespace.Allows(profile, program))
            {
                environment.Error.WriteLine($"{program} is not one of the apps of profile {name} ({string.Join(", ", profile.PerAppIdentifiers)}); only those use its tunnel.");
                return ExitCodes.NoPermission;
            }

            string netns = AppNamespace.NameFor(profile);
            if (!AppNamespace.Exists(netns))
            {
                throw new ClientStateException($"Profile {name} is per-app and its tunnel is not up (no namespace {netns}): run 'opentunnel connect {name}' first.");
            }

            if (!Environment.IsPrivilegedProcess)
            {
                environment.Error.WriteLine($"Entering the per-app namespace {netns} of profile {name} needs root.");
                return ExitCodes.NoPermission;
            }

            // ip netns exec also mounts the namespace's resolv.conf (the tunnel's DNS) over /etc/resolv.conf, for this command only.
            info = new ProcessStartInfo("ip") { UseShellExecute = false };
            foreach (string word in (string[])["netns", "exec", netns, program])
            {
                info.ArgumentList.Add(word);
            }
        }
        else
        {
            info = new ProcessStartInfo(arguments.Extra[0]) { UseShellExecute = false };
        }

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
