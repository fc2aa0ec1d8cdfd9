using System.Net;
using OpenTunnel.Client.Native;
using OpenTunnel.Client.OnDemand;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Platform.Linux.Processes;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel on-demand (enable --profile NAME [--servercert PIN] [--listen ADDRESS] | run [--profile NAME …] | status | disable)</c>,
/// shaped as <see cref="AlwaysOnVerb"/>: <c>enable</c> stores the profile whose on-demand rules
/// this machine acts on (<c>on-demand.json</c>); <c>run</c> runs <see cref="OnDemandTunnel"/> for it
/// (or for <c>--profile</c>) until SIGINT/SIGTERM; <c>disable</c> deletes the setting and stops a
/// running <c>run</c>; <c>status</c> says what is enabled, whether <c>run</c> runs and whether its tunnel is up.
/// </summary>
public static class OnDemandVerb
{
    /// <summary>The stub's address when --listen is not given: a loopback address systemd-resolved (127.0.0.53, 127.0.0.54) does not use.</summary>
    public const string DefaultListen = "127.0.0.153";

    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        return arguments.Positional switch
        {
            "enable" => await EnableAsync(arguments, environment, cancellationToken),
            "disable" => Disable(environment),
            "status" => Status(environment),
            "run" => await RunTunnelAsync(arguments, environment, cancellationToken),
            _ => throw new UsageException($"'on-demand' needs 'enable --profile NAME', 'disable', 'status' or 'run'{(arguments.Positional is { } word ? $", not '{word}'" : string.Empty)}."),
        };
    }

    private static async Task<int> EnableAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        string name = arguments["profile"] ?? throw new UsageException("'on-demand enable' needs --profile NAME (see 'opentunnel profiles').");
        string? pin = NativeConnectVerb.ServerCertificate(arguments);
        string listen = Listen(arguments).ToString();
        await OnDemandProfileAsync(environment, name, cancellationToken);
        environment.State.SaveOnDemand(new OnDemandSetting(name, pin, listen, environment.Time.GetUtcNow()));
        environment.Out.WriteLine($"On-demand is enabled for profile {name}: 'opentunnel on-demand run' answers DNS on {listen} and connects when a name of its rules is asked.");
        return ExitCodes.Success;
    }

    private static async Task<int> RunTunnelAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        OnDemandSetting? setting = environment.State.FindOnDemand();
        string name = arguments["profile"] ?? setting?.Profile
            ?? throw new ClientStateException($"On-demand is not enabled ({environment.State.OnDemandFile} does not exist): run 'opentunnel on-demand enable --profile NAME' first, or give --profile.");
        bool fromSetting = arguments["profile"] is null;
        string? pin = NativeConnectVerb.ServerCertificate(arguments) ?? (fromSetting ? setting?.ServerCertificate : null);
        IPAddress listen = arguments["listen"] is not null || !fromSetting || setting is null ? Listen(arguments) : IPAddress.Parse(setting.Listen);
        DeviceProfile profile = await OnDemandProfileAsync(environment, name, cancellationToken);
        environment.State.EnsureExists();
        var request = new OnDemandRequest(profile, new Uri(ConnectVerb.GatewayUrl(profile.Site)), pin, listen, "/etc/resolv.conf", environment.State.OnDemandStubFile, environment.State.TunnelFile);
        var tunnel = new OnDemandTunnel(request, stop => TokenVerb.GatewayTokenAsync(environment, profile.Site.Name, stop), environment.Error, environment.Time);
        return await tunnel.RunAsync(cancellationToken) switch
        {
            OnDemandOutcome.Stopped => ExitCodes.Success,
            OnDemandOutcome.AlreadyRunning => ExitCodes.Failure,
            _ => ExitCodes.OsError,
        };
    }

    /// <summary>The profile, refused when it has no rule on-demand acts on (there would be nothing to do).</summary>
    private static async Task<DeviceProfile> OnDemandProfileAsync(ClientEnvironment environment, string name, CancellationToken cancellationToken)
    {
        DeviceProfile profile = await ConnectVerb.FindProfileAsync(environment, name, cancellationToken);
        if (!OnDemandPolicy.ActsOnNames(profile.OnDemandRules) && RangeTrap.ConnectRanges(profile.OnDemandRules).Count == 0)
        {
            throw new ClientStateException($"Profile {name} has no on-demand rule to act on (fqdns or domains with connect, evaluate or disconnect, or ipRanges with connect); 'opentunnel connect {name}' connects it.");
        }

        if (profile.PerAppIdentifiers.Count > 0)
        {
            throw new ClientStateException($"Profile {name} is per-app: on-demand brings up a tunnel for the whole machine with the native engine, which does not take per-app profiles.");
        }

        return profile;
    }

    private static IPAddress Listen(ClientArguments arguments)
    {
        string text = arguments["listen"] ?? DefaultListen;
        if (!IPAddress.TryParse(text, out IPAddress? address) || !IPAddress.IsLoopback(address))
        {
            throw new UsageException($"--listen '{text}' is not a loopback address (127.0.0.0/8 or ::1): the stub answers this machine only.");
        }

        return address;
    }

    private static int Disable(ClientEnvironment environment)
    {
        OnDemandSetting? setting = environment.State.FindOnDemand();
        File.Delete(environment.State.OnDemandFile);
        if (Running(environment) is { } running)
        {
            // SIGTERM is the run's stop: the tunnel disconnects and resolv.conf comes back.
            _ = ProcessSignals.Send(running.ProcessId, ProcessSignals.Terminate);
            environment.Out.WriteLine($"On-demand is disabled; the running on-demand (process {running.ProcessId}) is told to stop.");
        }
        else
        {
            environment.Out.WriteLine(setting is null ? "On-demand was not enabled." : $"On-demand is disabled (profile {setting.Profile}).");
        }

        return ExitCodes.Success;
    }

    private static int Status(ClientEnvironment environment)
    {
        OnDemandSetting? setting = environment.State.FindOnDemand();
        environment.Out.WriteLine(setting is null ? "On-demand is not enabled." : $"On-demand is enabled for profile {setting.Profile} (since {setting.EnabledAt:u}; DNS stub on {setting.Listen}).");
        if (Running(environment) is { } running)
        {
            bool up = new TunnelStateFile(environment.State.TunnelFile).Load() is { } tunnel && tunnel.ProcessId == running.ProcessId;
            environment.Out.WriteLine($"Running: process {running.ProcessId} since {running.Since:u}; the tunnel to {running.Gateway} is {(up ? "up" : "down")}.");
        }
        else if (setting is not null)
        {
            environment.Out.WriteLine("Not running: start it with 'opentunnel on-demand run'.");
        }

        return ExitCodes.Success;
    }

    /// <summary>The running <c>on-demand run</c>: its stub state file, while its process lives.</summary>
    private static TunnelState? Running(ClientEnvironment environment) =>
        new TunnelStateFile(environment.State.OnDemandStubFile).Load() is { } state && Directory.Exists($"/proc/{state.ProcessId}") ? state : null;
}
