using OpenTunnel.Client.Lockdown;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Platform.Linux.Processes;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel always-on (enable --profile NAME [--servercert PIN] [--engine native|openconnect] [--script PATH] [-- OPENCONNECT-OPTIONS…] | disable | status | run)</c>. <c>enable</c> stores which
/// always-on profile this machine keeps connected (<c>always-on.json</c>, with the engine and its options
/// to use); <c>run</c>, the long-lived mode deploy/systemd/opentunnel-client.service starts, keeps
/// that profile's tunnel up (<see cref="ConnectVerb.ConnectAsync"/> with always-on: the native engine
/// reconnects without a time limit, and any end but a stop starts the engine again with a pause that
/// doubles up to a minute, lockdown on throughout);
/// <c>disable</c> deletes the setting and stops a running <c>run</c> (SIGTERM: the profile's
/// disconnect, which also ends lockdown); <c>status</c> says what is enabled and running.
/// </summary>
public static class AlwaysOnVerb
{
    /// <summary>The systemd unit that runs <c>always-on run</c> (deploy/systemd).</summary>
    public const string Unit = "opentunnel-client.service";

    public static async Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        switch (arguments.Positional)
        {
            case "enable":
                return await EnableAsync(arguments, environment, cancellationToken);
            case "disable":
                return Disable(environment);
            case "status":
                return Status(environment);
            case "run":
                AlwaysOnSetting setting = environment.State.FindAlwaysOn()
                    ?? throw new ClientStateException($"Always-on is not enabled ({environment.State.AlwaysOnFile} does not exist): run 'opentunnel always-on enable --profile NAME' first.");
                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                if (setting.ServerCertificate is { } pin)
                {
                    options["servercert"] = pin;
                }

                if (setting.Script is { } script)
                {
                    options["script"] = script;
                }

                options["engine"] = setting.Engine ?? "openconnect";

                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: keeping profile {setting.Profile} connected (enabled {setting.EnabledAt:u}).");
                return await ConnectVerb.ConnectAsync(new ClientArguments("always-on", options, setting.OpenConnectOptions, setting.Profile), environment, alwaysOn: true, cancellationToken);
            default:
                throw new UsageException($"'always-on' needs 'enable --profile NAME', 'disable', 'status' or 'run'{(arguments.Positional is { } word ? $", not '{word}'" : string.Empty)}.");
        }
    }

    private static async Task<int> EnableAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken)
    {
        string name = arguments["profile"] ?? throw new UsageException("'always-on enable' needs --profile NAME (see 'opentunnel profiles').");
        string engine = arguments["engine"] ?? "native";
        if (engine is not ("native" or "openconnect"))
        {
            throw new UsageException($"--engine '{engine}' is neither 'native' nor 'openconnect'.");
        }

        if (engine == "native")
        {
            NativeConnectVerb.RefuseOpenConnectOptions(arguments["script"], arguments.Extra);
        }

        _ = NativeConnectVerb.ServerCertificate(arguments);
        if (arguments["script"] is { } script && !File.Exists(script))
        {
            throw new UsageException($"--script {script} does not exist.");
        }

        DeviceProfile profile = await ConnectVerb.FindProfileAsync(environment, name, cancellationToken);
        if (!profile.AlwaysOn)
        {
            throw new ClientStateException($"Profile {name} is not always-on: only a profile the administrator made always-on (alwaysOn) can be kept connected; 'opentunnel connect {name}' connects it once.");
        }

        var setting = new AlwaysOnSetting(name, arguments["servercert"], arguments["script"], arguments.Extra, environment.Time.GetUtcNow(), engine);
        environment.State.SaveAlwaysOn(setting);
        environment.Out.WriteLine($"Always-on is enabled for profile {name}{(profile.Lockdown ? " (with lockdown)" : string.Empty)}, with {(engine == "native" ? "the native engine" : "openconnect")}: 'opentunnel always-on run' keeps it connected; as a service: systemctl enable --now {Unit}.");
        return ExitCodes.Success;
    }

    private static int Disable(ClientEnvironment environment)
    {
        AlwaysOnSetting? setting = environment.State.FindAlwaysOn();
        File.Delete(environment.State.AlwaysOnFile);
        if (environment.State.RunningConnection() is { AlwaysOn: true } running)
        {
            // The run loop also ends when it next finds the setting gone; SIGTERM ends it now (openconnect disconnects, lockdown goes).
            _ = ProcessSignals.Send(running.ProcessId, ProcessSignals.Terminate);
            environment.Out.WriteLine($"Always-on is disabled; the always-on connection (process {running.ProcessId}) is told to stop. ({Unit}, when it runs it, ends too; 'systemctl disable {Unit}' keeps it from starting at boot.)");
        }
        else
        {
            environment.Out.WriteLine(setting is null ? "Always-on was not enabled." : $"Always-on is disabled (profile {setting.Profile}).");
        }

        return ExitCodes.Success;
    }

    private static int Status(ClientEnvironment environment)
    {
        AlwaysOnSetting? setting = environment.State.FindAlwaysOn();
        if (setting is null)
        {
            environment.Out.WriteLine("Always-on is not enabled.");
            return ExitCodes.Success;
        }

        environment.Out.WriteLine($"Always-on is enabled for profile {setting.Profile} (since {setting.EnabledAt:u}).");
        environment.Out.WriteLine(environment.State.RunningConnection() is { AlwaysOn: true } running
            ? $"Running: process {running.ProcessId}, to {running.Gateway} since {running.Since:u}."
            : $"Not running: start it with 'systemctl start {Unit}' or 'opentunnel always-on run'.");
        if (environment.State.FindProfiles()?.Find(setting.Profile) is { Lockdown: true })
        {
            environment.Out.WriteLine(File.Exists(environment.State.LockdownFile)
                ? $"Lockdown: on (table {LockdownRuleset.Family} {LockdownRuleset.Table})."
                : "Lockdown: off until the connection starts.");
        }

        return ExitCodes.Success;
    }
}
