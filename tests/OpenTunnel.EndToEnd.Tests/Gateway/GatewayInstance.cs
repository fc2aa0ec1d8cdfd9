using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A real <c>opentunnel-gateway</c> process in the gateway namespace of a fresh standard topology,
/// with a configuration file, a development token issuer whose JWKS the gateway trusts, and its
/// control socket. Dispose stops the gateway with SIGTERM (so it removes its nftables table) and
/// then removes the topology.
/// </summary>
public sealed class GatewayInstance : IOpenConnectServer, IDisposable
{
    public const int Port = 4443;
    public const string Issuer = "https://issuer.opentunnel.test";
    public const string Audience = "opentunnel-gateway";
    public const string Pool = "198.18.128.0/24";
    public const string Pool6 = "2001:db8:128::/64";
    public const string CorpSubnet6 = "2001:db8:2::/64";

    private readonly DevelopmentTokenIssuer _issuer;
    private readonly string[] _command;
    private readonly IDictionary<string, string>? _environment;

    private GatewayInstance(NetworkTopology topology, TemporaryDirectory directory, DevelopmentTokenIssuer issuer, string configFile, TrackedProcess process, string pin, string[] command, IDictionary<string, string>? environment)
    {
        Topology = topology;
        Directory = directory;
        _issuer = issuer;
        ConfigFile = configFile;
        Process = process;
        Pin = pin;
        _command = command;
        _environment = environment;
    }

    public NetworkTopology Topology { get; }

    public TemporaryDirectory Directory { get; }

    public string ConfigFile { get; }

    /// <summary>The gateway process now (a new one after <see cref="KillAndRestartAsync"/>).</summary>
    public TrackedProcess Process { get; private set; }

    /// <summary>The gateway certificate's pin, for <c>--servercert pin-sha256:...</c>.</summary>
    public string Pin { get; }

    public string Url => $"https://{NetworkTopology.GatewayPublicAddress}:{Port}";

    public string DataDirectory => Path.Combine(Directory.Path, "data");

    /// <summary>The control socket: <c>Control:SocketPath</c> of the configuration, else DATA/control.sock.</summary>
    public string ControlSocket =>
        (JsonNode.Parse(File.ReadAllText(ConfigFile))?["Control"]?["SocketPath"]?.GetValue<string>()) ?? Path.Combine(DataDirectory, "control.sock");

    /// <summary>
    /// Builds the topology (with the "internet" namespace) and starts the gateway with the test
    /// configuration: pools 198.18.128.0/24 and 2001:db8:128::/64, split-include of the corp subnets, DNS and suffix, and a
    /// required claim compliance=compliant. <paramref name="configure"/> may change the JSON first;
    /// <paramref name="launcher"/> (a command and its arguments) runs the gateway, with <paramref name="environment"/> added to its environment.
    /// </summary>
    public static async Task<GatewayInstance> StartAsync(Action<JsonObject>? configure = null, IReadOnlyList<string>? launcher = null, IDictionary<string, string>? environment = null)
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "curl", "ss");
        var topology = NetworkTopology.Create(withInternet: true);
        var directory = new TemporaryDirectory();
        DevelopmentTokenIssuer? issuer = null;
        try
        {
            string data = System.IO.Directory.CreateDirectory(Path.Combine(directory.Path, "data")).FullName;
            issuer = DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience, DevelopmentKeyKind.EcP256);
            var config = new JsonObject
            {
                ["DataDirectory"] = data,
                ["Listener"] = new JsonObject { ["Address"] = NetworkTopology.GatewayPublicAddress, ["Port"] = Port },
                ["Network"] = new JsonObject
                {
                    ["IPv4Pool"] = Pool,
                    ["IPv6Pool"] = Pool6,
                    ["DnsServers"] = new JsonArray("198.18.2.53"),
                    ["DefaultDomain"] = "corp.opentunnel.test",
                    ["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet, CorpSubnet6),
                },
                ["Limits"] = new JsonObject { ["AuthAttemptsPerMinute"] = 1000 },
                ["Metrics"] = new JsonObject { ["Address"] = "127.0.0.1:9464" },
                ["Auth"] = new JsonObject
                {
                    ["Issuer"] = Issuer,
                    ["Audience"] = Audience,
                    ["JwksFile"] = issuer.JwksPath,
                    ["RequiredClaims"] = new JsonArray(new JsonObject { ["Claim"] = "compliance", ["AnyOf"] = new JsonArray("compliant") }),
                },
            };
            configure?.Invoke(config);
            string configFile = directory.File("gateway.json");
            File.WriteAllText(configFile, config.ToJsonString());
            string pin = ServerCertificate.Load(new TlsOptions(), data, DateTimeOffset.UtcNow).Pin;
            // SIGHUP at its default disposition, as systemd starts a service: a test run under nohup
            // passes SIGHUP on ignored, and the runtime then never hands it to the gateway's reload.
            string[] command = ["env", "--default-signal=HUP", .. launcher ?? [], "dotnet", GatewayAssembly(), "run", "--config", configFile];
            var process = await LaunchAsync(topology, command, environment);
            return new GatewayInstance(topology, directory, issuer, configFile, process, pin, command, environment);
        }
        catch
        {
            issuer?.Dispose();
            topology.Dispose();
            directory.Dispose();
            throw;
        }
    }

    private static async Task<TrackedProcess> LaunchAsync(NetworkTopology topology, string[] command, IDictionary<string, string>? environment)
    {
        var process = topology.Start(topology.Gateway, command[0], command[1..], environment: environment);
        await process.WaitForOutputAsync("Listening on", TimeSpan.FromSeconds(30));
        return process;
    }

    /// <summary>The gateway as its own build left it (see <see cref="SolutionOutput"/>).</summary>
    public static string GatewayAssembly() => SolutionOutput.Assembly("OpenTunnel.Gateway", "opentunnel-gateway.dll");

    /// <summary>
    /// A valid token for <paramref name="user"/> carrying compliance=compliant unless told otherwise
    /// (<paramref name="compliance"/> gives the claim another value), the claim site=<paramref name="site"/> and the groups claim <paramref name="groups"/> when given.
    /// </summary>
    public string MintToken(string user, bool compliant = true, string? audience = null, DateTimeOffset? issuedAt = null, TimeSpan? lifetime = null, string? site = null, IReadOnlyList<string>? groups = null,
        string? compliance = null)
    {
        var claims = new Dictionary<string, object>();
        if (compliance is not null || compliant)
        {
            claims["compliance"] = compliance ?? "compliant";
        }

        if (site is not null)
        {
            claims["site"] = site;
        }

        if (groups is not null)
        {
            claims["groups"] = groups.ToArray();
        }

        return _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = user,
            UserName = user,
            DeviceId = "device-" + user,
            ExtraClaims = claims,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Lifetime = lifetime ?? TimeSpan.FromHours(1),
        });
    }

    /// <summary>Writes a token to a file for <c>--token-secret=@FILE</c> and returns the path.</summary>
    public string TokenFile(string token)
    {
        string file = Directory.File($"token-{Guid.NewGuid():N}");
        File.WriteAllText(file, token);
        return file;
    }

    /// <summary>Runs a control command on the gateway's socket and returns its result.</summary>
    public Task<JsonNode?> ControlAsync(string command, string? target = null) =>
        ControlAsync(target is null ? new JsonObject { ["command"] = command } : new JsonObject { ["command"] = command, ["target"] = target });

    /// <summary>Sends a whole control request, for commands with other arguments (reload's file, apply's document).</summary>
    public async Task<JsonNode?> ControlAsync(JsonObject request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await ControlClient.SendAsync(ControlSocket, request, timeout.Token);
    }

    /// <summary>
    /// The gateway's sessions once none is left, or as they are after <paramref name="timeout"/>: a
    /// client that says DISCONNECT and reports its tunnel down is ahead of the gateway ending the session.
    /// </summary>
    public async Task<JsonArray> SessionsOnceEndedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var sessions = (await ControlAsync("sessions"))!.AsArray();
            if (sessions.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return sessions;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The session of <paramref name="user"/> in the gateway's sessions listing (exactly one).</summary>
    public async Task<JsonNode> SessionOfAsync(string user) =>
        (await ControlAsync("sessions"))!.AsArray().Single(s => s!["user"]!.GetValue<string>() == user)!;

    /// <summary>
    /// Waits until the session of <paramref name="user"/> carries its data over <paramref name="channel"/>
    /// ("TLS" or "DTLS"); on time-out the message ends with the output of <paramref name="client"/>, when given.
    /// </summary>
    public Task<JsonNode> WaitForChannelAsync(string user, string channel, TimeSpan timeout, TrackedProcess? client = null) =>
        Poll.UntilAsync(
            () => SessionOfAsync(user),
            session => session["channel"]!.GetValue<string>() == channel,
            timeout,
            session => $"{user}'s channel is {session["channel"]} instead of {channel}." + (client is null ? "" : $"\nopenconnect:\n{client.Output}"),
            TimeSpan.FromMilliseconds(200));

    /// <summary>
    /// Reloads the gateway with the Network setting <paramref name="name"/> switched off, runs
    /// <paramref name="action"/>, and reloads its own configuration again.
    /// </summary>
    public async Task<T> WithNetworkSettingOffAsync<T>(string name, Func<Task<T>> action)
    {
        string off = Directory.File($"{name}-off.json");
        var config = JsonNode.Parse(File.ReadAllText(ConfigFile))!;
        config["Network"]![name] = false;
        File.WriteAllText(off, config.ToJsonString());
        await ControlAsync(new JsonObject { ["command"] = "reload", ["file"] = off });
        try
        {
            return await action();
        }
        finally
        {
            await ControlAsync(new JsonObject { ["command"] = "reload" });
        }
    }

    /// <summary>
    /// Runs a 3 s iperf3 download from a one-off server on the corp host (port
    /// <paramref name="port"/>) to the client namespace; returns the largest send window the corp
    /// side saw, which is the receive window the client's TCP advertised through the tunnel.
    /// </summary>
    public async Task<long> LargestClientWindowInADownloadAsync(int port)
    {
        string portText = port.ToString(CultureInfo.InvariantCulture);
        using var server = Topology.Start(Topology.Corp, "iperf3", ["-s", "-1", "-J", "-B", NetworkTopology.CorpAddress, "-p", portText]);
        await Poll.UntilAsync(() => Topology.Exec(Topology.Corp, "ss", "-Hltn", $"sport = :{portText}").StandardOutput.Length > 0, TimeSpan.FromSeconds(10), "iperf3 to listen on the corp host");
        var result = Topology.Exec(Topology.Client, "iperf3",
            ["-c", NetworkTopology.CorpAddress, "-p", portText, "-R", "-t", "3", "-J", "--get-server-output"], TimeSpan.FromSeconds(60)).EnsureSuccess();
        var sender = JsonNode.Parse(result.StandardOutput)!["server_output_json"]!["end"]!["streams"]![0]!["sender"]!;
        return sender["max_snd_wnd"]!.GetValue<long>();
    }

    /// <summary>A drop counter of the gateway, read through the control socket.</summary>
    public async Task<long> DropsAsync(string reason) => (await ControlAsync("status"))!["dropped"]![reason]!.GetValue<long>();

    /// <summary>Stops the gateway with SIGTERM and waits for it; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        Process.Signal(15);
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Starts the gateway again with the same command after <see cref="StopAsync"/> (the test plays the supervisor, systemd not being PID 1 here).</summary>
    public async Task StartAgainAsync()
    {
        Process.Dispose();
        Process = await LaunchAsync(Topology, _command, _environment);
    }

    /// <summary>
    /// Ends the gateway with SIGKILL (no clean-up runs: its nftables table, forwarding and leases are
    /// left as they were) and starts it again with the same command, as systemd's
    /// <c>Restart=on-failure</c> of deploy/systemd/opentunnel-gateway.service would. systemd is not
    /// PID 1 here, so the test plays the supervisor. Returns how long the restart took until the
    /// gateway listened again.
    /// </summary>
    public Task<TimeSpan> KillAndRestartAsync() => RestartAsync(signal: 9);

    /// <summary>
    /// Waits until <c>DATA/sessions.json</c> holds a session with the IPv4 address
    /// <paramref name="address"/>: the gateway writes the file at most once per
    /// <c>SessionStore.WriteInterval</c>, so a lease given just before a crash may not be in it yet.
    /// </summary>
    public async Task WaitForSavedLeaseAsync(string address)
    {
        string file = Path.Combine(DataDirectory, "sessions.json");
        string entry = $"\"ipv4\":\"{address}\"";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(file) && File.ReadAllText(file).Contains(entry, StringComparison.Ordinal)))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"{file} did not hold the lease {address} within 10 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Stops the gateway cleanly (SIGTERM: it sends TERMINATE to its clients, ends every session and
    /// deletes its session file) and starts it again with the same command. Returns how long the
    /// start took until the gateway listened again.
    /// </summary>
    public Task<TimeSpan> StopAndRestartAsync() => RestartAsync(signal: 15);

    private async Task<TimeSpan> RestartAsync(int signal)
    {
        Process.Signal(signal);
        await Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await StartAgainAsync();
        return started.Elapsed;
    }

    public void Dispose()
    {
        Process.Terminate(TimeSpan.FromSeconds(10));

        _issuer.Dispose();
        Topology.Dispose();
        Directory.Dispose();
    }
}
