using System.Globalization;
using OpenTunnel.Client.Connect;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.Lockdown;
using OpenTunnel.Client.Native;
using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.PerApp;
using OpenTunnel.Client.State;
using OpenTunnel.CommandLine;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel connect (PROFILE | --gateway URL [--site NAME]) [--servercert PIN] [--script PATH]
/// [--token-file FILE] [--refresh-every SECONDS] [--engine native|openconnect] [-- …]</c>: gets a
/// gateway token (or takes the one in FILE, so that connect needs no access to the provider),
/// and runs the tunnel in this process (<see cref="NativeEngine"/>, the default engine); or, with
/// <c>--engine openconnect</c>, writes it to a 0600 file and runs openconnect with it
/// until openconnect ends. With a profile the gateway is the profile's site (its public address and
/// port) and the token is for that site; while connected the profiles are fetched again every <c>--refresh-every</c> seconds
/// (default 60, with the ETag), so a change an administrator makes reaches the client within that time.
/// A per-app profile's tunnel goes into the profile's network namespace (<see cref="AppNamespace"/>):
/// the native engine moves its TUN device there itself, openconnect through the client's own
/// vpnc-script (<see cref="AppTunnelScriptVerb"/>); the namespace is deleted when the connection
/// ends for good. An always-on profile with lockdown turns the kill switch
/// (<see cref="LockdownRuleset"/>) on before anything is sent, and off only when the user stops the
/// connection (SIGINT/SIGTERM); a failed or killed connection leaves it on.
/// </summary>
public static class ConnectVerb
{
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(60);

    public static Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment, CancellationToken cancellationToken) =>
        ConnectAsync(arguments, environment, alwaysOn: false, cancellationToken);

    /// <summary>
    /// <c>connect</c>, or with <paramref name="alwaysOn"/> the loop of <c>always-on run</c>
    /// (<see cref="AlwaysOnVerb"/>): the native engine reconnects without a time limit, and every
    /// end but the user's stop (SIGINT/SIGTERM, or always-on disabled) is followed by a new sign-in
    /// and a new start of the engine after a pause that doubles up to a minute; a token the provider
    /// cannot give is tried again the same way, lockdown stays on throughout, and each change
    /// (connecting, tunnel up, tunnel down, the pause) is a line on stderr.
    /// </summary>
    internal static async Task<int> ConnectAsync(ClientArguments arguments, ClientEnvironment environment, bool alwaysOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        TimeSpan refresh = arguments.Seconds("refresh-every", 1, 3600) ?? DefaultRefresh;
        string? tokenFile = arguments["token-file"];
        if ((arguments.Positional is null) == (arguments["gateway"] is null))
        {
            throw new UsageException("'connect' needs a PROFILE name (see 'opentunnel profiles') or --gateway URL, not both.");
        }

        if (tokenFile is not null && !File.Exists(tokenFile))
        {
            throw new UsageException($"--token-file {tokenFile} does not exist.");
        }

        if (tokenFile is not null && arguments["site"] is not null)
        {
            throw new UsageException("--site names the site of a new token; with --token-file there is none to get.");
        }

        // The native engine is the default, for a PROFILE (and with it per-app, always-on and lockdown) too.
        string engine = arguments["engine"] ?? "native";
        if (engine is not ("native" or "openconnect"))
        {
            throw new UsageException($"--engine '{engine}' is neither 'native' nor 'openconnect'.");
        }

        bool native = engine == "native";
        if (native && arguments.Positional is null)
        {
            return await NativeConnectVerb.RunAsync(arguments, environment, tokenFile, cancellationToken);
        }

        if (native)
        {
            // Checked before lockdown or a namespace is set up.
            _ = NativeConnectVerb.ServerCertificate(arguments);
            NativeConnectVerb.RefuseOpenConnectOptions(arguments["script"], arguments.Extra);
            if (arguments["user"] is not null || arguments["password-file"] is not null)
            {
                throw new UsageException("--user and --password-file sign in to a --gateway; a PROFILE signs in with a gateway token for its site.");
            }
        }
        else if (arguments["user"] is not null || arguments["password-file"] is not null)
        {
            throw new UsageException("--user and --password-file are for --engine native; openconnect takes its own after -- (-- --user NAME --passwd-on-stdin).");
        }

        string gateway;
        string? site = arguments["site"];
        string? script = arguments["script"];
        string? appNamespace = null;
        IReadOnlyList<string> extra = arguments.Extra;
        string? lockdownDevice = null;
        string? tunnelDevice = null;
        if (arguments.Positional is { } name)
        {
            if (site is not null)
            {
                throw new UsageException("--site comes from the profile; give a PROFILE or --gateway with --site.");
            }

            DeviceProfile profile = await FindProfileAsync(environment, name, cancellationToken);
            gateway = GatewayUrl(profile.Site);
            site = profile.Site.Name;
            if (AppNamespace.IsPerApp(profile))
            {
                if (script is not null)
                {
                    throw new UsageException($"Profile {name} is per-app: its tunnel is configured by the client's own script, inside the profile's namespace; leave --script out.");
                }

                appNamespace = AppNamespace.NameFor(profile);
                script = native ? null : AppTunnelScriptVerb.CommandFor(appNamespace);
            }

            if (alwaysOn && !profile.AlwaysOn)
            {
                throw new ClientStateException($"Profile {name} is not always-on (the administrator sets alwaysOn); 'opentunnel always-on disable', or connect it with 'opentunnel connect {name}'.");
            }

            // Lockdown lets out the tunnel's device by name, and always-on watches it to say when the
            // tunnel is up; a per-app tunnel's device moves into the app namespace.
            if ((profile.AlwaysOn && profile.Lockdown) || (alwaysOn && appNamespace is null))
            {
                tunnelDevice = native ? null : InterfaceOption(extra);
                if (tunnelDevice is null)
                {
                    tunnelDevice = LockdownRuleset.DefaultDevice;
                    extra = native ? extra : [.. extra, "--interface", tunnelDevice];
                }
            }

            if (profile.AlwaysOn && profile.Lockdown)
            {
                lockdownDevice = tunnelDevice!;

                var allowed = new List<System.Net.IPAddress>();
                try
                {
                    allowed.AddRange(LockdownFirewall.Addresses(profile.Site.PublicAddress));
                    allowed.AddRange(LockdownFirewall.Addresses(environment.State.LoadSignIn().Server.Host));
                    LockdownFirewall.Enable(environment.State.LockdownFile, lockdownDevice, allowed);
                }
                catch (Exception e) when (e is HostCommandException or System.Net.Sockets.SocketException or ArgumentException)
                {
                    environment.Error.WriteLine($"Profile {name} asks for lockdown, and it cannot be turned on: {e.Message}");
                    return ExitCodes.OsError;
                }

                environment.Error.WriteLine($"Lockdown is on (table {LockdownRuleset.Family} {LockdownRuleset.Table}): nothing leaves this machine but through {lockdownDevice}, to the gateway or the management service ({string.Join(", ", allowed.Distinct())}), loopback, DHCP and neighbour discovery, until this connection is stopped or 'opentunnel lockdown off'.");
            }
        }
        else
        {
            gateway = arguments["gateway"]!;
        }

        if (appNamespace is not null)
        {
            try
            {
                AppNamespace.Create(appNamespace);
            }
            catch (HostCommandException e)
            {
                environment.Error.WriteLine($"The per-app namespace {appNamespace} cannot be made: {e.Message}");
                return ExitCodes.OsError;
            }
        }

        var connection = new ConnectTarget(arguments.Positional, gateway, site, appNamespace, appNamespace is null ? tunnelDevice : null, lockdownDevice);
        using var connected = new CancellationTokenSource();
        Task refreshing = arguments.Positional is { } connectedProfile
            ? RefreshWhileConnectedAsync(environment, connectedProfile, refresh, connected.Token)
            : Task.CompletedTask;
        try
        {
            environment.State.SaveConnection(new ConnectionState(Environment.ProcessId, arguments.Positional, gateway, environment.Time.GetUtcNow(), alwaysOn));
            environment.Error.WriteLine($"Connecting to {gateway}{(arguments.Positional is { } p ? $" (profile {p}, site {site})" : string.Empty)} with {(native ? "the native engine" : "openconnect")}.");
            if (appNamespace is not null)
            {
                environment.Error.WriteLine($"Per-app profile: the tunnel goes into namespace {appNamespace}; start the profile's apps with 'opentunnel run --profile {arguments.Positional} -- COMMAND'.");
            }

            return native
                ? await RunNativeAsync(arguments, environment, connection, tokenFile, alwaysOn, cancellationToken)
                : await RunOpenConnectAsync(arguments, environment, connection, tokenFile, script, extra, alwaysOn, cancellationToken);
        }
        finally
        {
            await connected.CancelAsync();
            await refreshing;
            File.Delete(environment.State.ConnectionFile);
            if (appNamespace is not null)
            {
                AppNamespace.Remove(appNamespace);
            }
        }
    }

    /// <summary>
    /// What <c>connect</c> connects: the profile (null with --gateway), the gateway's URL, the site of
    /// the token, a per-app profile's namespace, the device always-on watches (null for a per-app
    /// tunnel, whose device is in the namespace) and the device lockdown lets out (null without lockdown).
    /// </summary>
    private sealed record ConnectTarget(string? Profile, string Gateway, string? Site, string? AppNamespace, string? WatchedDevice, string? LockdownDevice);

    /// <summary>
    /// A PROFILE with the native engine: its own reconnect (with the session cookie, then a fresh
    /// sign-in) keeps the tunnel through a lost link or a restarted gateway, for up to its timeout, or
    /// for always-on without one; always-on starts it again with a new token after it ended any other
    /// way than by the user's stop, with the pauses of <see cref="OpenConnectRestart"/>.
    /// </summary>
    private static async Task<int> RunNativeAsync(ClientArguments arguments, ClientEnvironment environment, ConnectTarget connection, string? tokenFile, bool alwaysOn, CancellationToken cancellationToken)
    {
        string? pin = NativeConnectVerb.ServerCertificate(arguments);
        var restart = new OpenConnectRestart(alwaysOn);
        environment.State.EnsureExists();
        var engine = new NativeEngine(environment.Error, new TunnelStateFile(environment.State.TunnelFile), environment.Time);
        while (true)
        {
            string? token = tokenFile is not null
                ? (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim()
                : await GatewayTokenAsync(environment, connection.Site, alwaysOn ? restart : null, cancellationToken);
            if (token is null)
            {
                return Stopped(environment, connection.LockdownDevice);
            }

            // A token from the stored sign-in is renewed while the tunnel runs; one from --token-file cannot be.
            Func<CancellationToken, Task<string>>? renew = tokenFile is null ? stop => TokenVerb.GatewayTokenAsync(environment, connection.Site, stop) : null;
            var request = new NativeConnectRequest(new Uri(connection.Gateway), pin, new SignInCredentials(token), renew)
            {
                TunDevice = connection.LockdownDevice ?? connection.WatchedDevice ?? NativeEngine.TunDeviceName,
                AppNamespace = connection.AppNamespace,
                KeepReconnecting = alwaysOn,
            };
            long started = environment.Time.GetTimestamp();
            NativeOutcome outcome;
            using (var running = new CancellationTokenSource())
            {
                Task watching = alwaysOn && connection.WatchedDevice is { } device ? WatchDeviceAsync(environment, device, "the native engine ended", running.Token) : Task.CompletedTask;
                if (alwaysOn)
                {
                    environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: connecting to {connection.Gateway} (profile {connection.Profile}).");
                }

                outcome = await engine.RunAsync(request, cancellationToken);
                await running.CancelAsync();
                await watching;
            }

            int exitCode = NativeConnectVerb.ExitCode(outcome);
            if (alwaysOn && StopRequested(environment, connection.Profile!, cancellationToken))
            {
                return Stopped(environment, connection.LockdownDevice);
            }

            // The engine's own reconnect covered what it could: only always-on starts it again.
            TimeSpan pause = TimeSpan.Zero;
            if (!alwaysOn || !restart.ShouldRestart(exitCode, environment.Time.GetElapsedTime(started), out pause))
            {
                if (connection.LockdownDevice is not null)
                {
                    EndLockdown(environment, exitCode);
                }

                return exitCode;
            }

            environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} The native engine ended with {exitCode} ({outcome}); signing in again{(pause > TimeSpan.Zero ? $" in {pause.TotalSeconds:0} s" : string.Empty)}{(restart.QuickFailures > 0 ? $" (try {restart.QuickFailures + 1}{(connection.LockdownDevice is null ? string.Empty : "; lockdown stays on")})" : string.Empty)}.");
            if (!await PauseAsync(environment, pause, cancellationToken) || StopRequested(environment, connection.Profile!, cancellationToken))
            {
                return Stopped(environment, connection.LockdownDevice);
            }
        }
    }

    /// <summary>
    /// openconnect (a PROFILE or --gateway with <c>--engine openconnect</c>), started again after it
    /// ended on its own as <see cref="OpenConnectRestart"/> says (TERMINATE, a refused cookie; for
    /// always-on any end but the user's stop).
    /// </summary>
    private static async Task<int> RunOpenConnectAsync(ClientArguments arguments, ClientEnvironment environment, ConnectTarget connection, string? tokenFile, string? script, IReadOnlyList<string> extra, bool alwaysOn, CancellationToken cancellationToken)
    {
        string? lockdownDevice = connection.LockdownDevice;
        bool ownToken = tokenFile is null;
        var restart = new OpenConnectRestart(alwaysOn);
        if (ownToken)
        {
            tokenFile = environment.State.GatewayTokenFile;
            if (!await WriteTokenAsync(environment, connection.Site, tokenFile, alwaysOn ? restart : null, cancellationToken))
            {
                return Stopped(environment, lockdownDevice);
            }
        }

        try
        {
            var request = new OpenConnectRequest(connection.Gateway, tokenFile!, arguments["servercert"], script, extra);
            while (true)
            {
                long started = environment.Time.GetTimestamp();
                int? exitCode;
                using (var running = new CancellationTokenSource())
                {
                    Task watching = alwaysOn && connection.WatchedDevice is { } device ? WatchDeviceAsync(environment, device, "openconnect ended", running.Token) : Task.CompletedTask;
                    if (alwaysOn)
                    {
                        environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: connecting to {connection.Gateway} (profile {connection.Profile}).");
                    }

                    // Not cancelled by SIGINT/SIGTERM: those go to openconnect, and the client ends when it does.
                    exitCode = await environment.Runner.RunAsync(request);
                    await running.CancelAsync();
                    await watching;
                }

                if (exitCode is null)
                {
                    environment.Error.WriteLine($"'{environment.OpenConnect}' is not installed: apt-get install openconnect (9.01 or later, for --token-mode=oidc).");
                    return ClientCommandLine.ProgramMissing;
                }

                if (alwaysOn && StopRequested(environment, connection.Profile!, cancellationToken))
                {
                    return Stopped(environment, lockdownDevice);
                }

                if (!restart.ShouldRestart(exitCode.Value, environment.Time.GetElapsedTime(started), out TimeSpan pause))
                {
                    if (lockdownDevice is not null)
                    {
                        EndLockdown(environment, exitCode.Value);
                    }

                    return exitCode.Value;
                }

                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} openconnect ended with {exitCode.Value}: {OpenConnectRestart.Describe(exitCode.Value)}; signing in again{(pause > TimeSpan.Zero ? $" in {pause.TotalSeconds:0} s" : string.Empty)}{(alwaysOn && restart.QuickFailures > 0 ? $" (try {restart.QuickFailures + 1}{(lockdownDevice is null ? string.Empty : "; lockdown stays on")})" : string.Empty)}.");
                if (alwaysOn)
                {
                    if (!await PauseAsync(environment, pause, cancellationToken) || StopRequested(environment, connection.Profile!, cancellationToken))
                    {
                        return Stopped(environment, lockdownDevice);
                    }
                }
                else
                {
                    await Task.Delay(pause, environment.Time, CancellationToken.None);
                }

                if (ownToken && !await WriteTokenAsync(environment, connection.Site, tokenFile!, alwaysOn ? restart : null, cancellationToken))
                {
                    return Stopped(environment, lockdownDevice);
                }
            }
        }
        finally
        {
            if (ownToken)
            {
                File.Delete(tokenFile!);
            }
        }
    }

    /// <summary>Writes a gateway token (<see cref="GatewayTokenAsync"/>) to <paramref name="tokenFile"/>; false when the user stopped the client meanwhile.</summary>
    private static async Task<bool> WriteTokenAsync(ClientEnvironment environment, string? site, string tokenFile, OpenConnectRestart? alwaysOn, CancellationToken cancellationToken)
    {
        string? token = await GatewayTokenAsync(environment, site, alwaysOn, cancellationToken);
        if (token is not null)
        {
            ClientStateDirectory.WriteSecret(tokenFile, token);
        }

        return token is not null;
    }

    /// <summary>
    /// A gateway token for <paramref name="site"/>. With <paramref name="alwaysOn"/> a token the
    /// provider does not give (unreachable, refused) is asked for again after the always-on pause,
    /// until it comes; null when the user stopped the client meanwhile.
    /// </summary>
    private static async Task<string?> GatewayTokenAsync(ClientEnvironment environment, string? site, OpenConnectRestart? alwaysOn, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await TokenVerb.GatewayTokenAsync(environment, site, cancellationToken);
            }
            catch (ProviderException e) when (alwaysOn is not null)
            {
                TimeSpan pause = alwaysOn.Failed();
                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: no gateway token: {e.Message} Trying again in {pause.TotalSeconds:0} s.");
                if (!await PauseAsync(environment, pause, cancellationToken))
                {
                    return null;
                }
            }
            catch (OperationCanceledException) when (alwaysOn is not null && cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    /// <summary>Waits <paramref name="pause"/>; false when SIGINT/SIGTERM came first.</summary>
    private static async Task<bool> PauseAsync(ClientEnvironment environment, TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(pause, environment.Time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Whether the always-on loop is to end: SIGINT/SIGTERM, or always-on disabled or moved to another profile.</summary>
    private static bool StopRequested(ClientEnvironment environment, string profile, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested || environment.State.FindAlwaysOn()?.Profile != profile;

    /// <summary>The always-on loop's end by the user: the profile's disconnect, which ends lockdown.</summary>
    private static int Stopped(ClientEnvironment environment, string? lockdownDevice)
    {
        environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: stopped.");
        if (lockdownDevice is not null)
        {
            EndLockdown(environment, ExitCodes.Success);
        }

        return ExitCodes.Success;
    }

    /// <summary>Says when the tunnel's device appears (the engine has the tunnel up) and when it goes, once a second, until the engine ends (<paramref name="ended"/>).</summary>
    private static async Task WatchDeviceAsync(ClientEnvironment environment, string device, string ended, CancellationToken cancellationToken)
    {
        bool up = false;
        try
        {
            while (true)
            {
                bool now = Directory.Exists($"/sys/class/net/{device}");
                if (now != up)
                {
                    up = now;
                    environment.Error.WriteLine(up
                        ? $"{environment.Time.GetUtcNow():u} Always-on: the tunnel is up ({device})."
                        : $"{environment.Time.GetUtcNow():u} Always-on: the tunnel is down ({device} is gone).");
                }

                await Task.Delay(TimeSpan.FromSeconds(1), environment.Time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (up)
            {
                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} Always-on: the tunnel is down ({ended}).");
            }
        }
    }

    /// <summary>The device named by openconnect's <c>--interface NAME</c>, <c>--interface=NAME</c> or <c>-i NAME</c> among the options after --, or null.</summary>
    public static string? InterfaceOption(IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        for (int i = 0; i < options.Count; i++)
        {
            if (options[i] is "--interface" or "-i" && i + 1 < options.Count)
            {
                return options[i + 1];
            }

            if (options[i].StartsWith("--interface=", StringComparison.Ordinal))
            {
                return options[i]["--interface=".Length..];
            }
        }

        return null;
    }

    /// <summary>The user's stop (openconnect's exit 0) is the profile's disconnect and ends lockdown; any other end leaves it on.</summary>
    private static void EndLockdown(ClientEnvironment environment, int exitCode)
    {
        if (exitCode != 0)
        {
            environment.Error.WriteLine($"Lockdown stays on: the connection ended with {exitCode}, not by a stop; 'opentunnel lockdown off' removes it.");
            return;
        }

        try
        {
            LockdownFirewall.Disable(environment.State.LockdownFile);
            environment.Error.WriteLine($"Lockdown is off (table {LockdownRuleset.Family} {LockdownRuleset.Table} deleted).");
        }
        catch (HostCommandException e)
        {
            environment.Error.WriteLine($"Lockdown could not be turned off: {e.Message} 'opentunnel lockdown off' tries again.");
        }
    }

    /// <summary>https://ADDRESS[:PORT]/ of a site (an IPv6 address in brackets, as UriBuilder writes it; port 443 left out).</summary>
    public static string GatewayUrl(DeviceProfileSite site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return new UriBuilder(Uri.UriSchemeHttps, site.PublicAddress, site.Port).Uri.ToString();
    }

    /// <summary>The profile named <paramref name="name"/>, fetched fresh; the stored one when the service cannot be reached.</summary>
    internal static async Task<DeviceProfile> FindProfileAsync(ClientEnvironment environment, string name, CancellationToken cancellationToken)
    {
        StoredProfiles profiles;
        try
        {
            (profiles, _) = await environment.Profiles.RefreshAsync(cancellationToken);
        }
        catch (ProviderException e) when (!e.Refused && environment.State.FindProfiles() is { } stored)
        {
            environment.Error.WriteLine($"{e.Message}\nUsing the profiles fetched at {stored.FetchedAt:u}.");
            profiles = stored;
        }

        return profiles.Find(name) ?? throw new ClientStateException(
            $"No VPN profile '{name}' is assigned to you at {profiles.Server}; yours: {(profiles.Profiles.Count == 0 ? "none" : string.Join(", ", profiles.Profiles.Select(p => p.Name)))}.");
    }

    /// <summary>
    /// Fetches the profiles every <paramref name="interval"/> until openconnect ends, and says what
    /// changed. The tunnel itself is openconnect's: a change of the connected profile's site takes
    /// effect at the next connect, and the line says so.
    /// </summary>
    private static async Task RefreshWhileConnectedAsync(ClientEnvironment environment, string profile, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Task.Delay(interval, environment.Time, cancellationToken);
                (StoredProfiles profiles, bool changed) = await environment.Profiles.RefreshAsync(cancellationToken);
                if (!changed)
                {
                    continue;
                }

                string now = environment.Time.GetUtcNow().ToString("u", CultureInfo.InvariantCulture);
                environment.Error.WriteLine($"{now} The VPN profiles changed ({profiles.ETag}); stored in {environment.State.ProfilesFile}.");
                environment.Error.WriteLine(profiles.Find(profile) is { } current
                    ? $"{now} Profile {ProfilesVerb.Describe(current)}"
                    : $"{now} Profile {profile} is no longer assigned to you; this tunnel stays up until it ends, and it cannot be connected again.");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ProviderException or ClientStateException or IOException)
            {
                environment.Error.WriteLine($"{environment.Time.GetUtcNow():u} The VPN profiles could not be refreshed: {e.Message} Trying again in {interval.TotalSeconds:0} s.");
            }
        }
    }
}
