using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.Bench.Network;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>
/// The OpenTunnel gateway (the native executable bench/run publishes, or opentunnel-gateway.dll run
/// by dotnet) in the gateway namespace, with
/// the run's certificate, the same pool, DNS, split-include route and port as ocserv, and
/// token sign-in: a development token minted by the gateway's own <c>token</c> verb, sent by
/// openconnect as <c>Authorization: Bearer</c> (<c>--token-mode=oidc</c>), and by OpenTunnel's
/// own client from its <c>--token-file</c>.
/// </summary>
internal sealed class OpenTunnelServer : IVpnServer
{
    public const string UserName = "bench";
    private const string Issuer = "https://issuer.bench.invalid";
    private const string Audience = "opentunnel-gateway";

    private readonly BenchNetwork _network;
    private readonly string _gateway;
    private readonly string _folder;
    private readonly string _configFile;
    private readonly ServerCertificate _certificate;
    private readonly ServerProcess _process;

    /// <summary>Prepares the data directory and mints the token; the gateway itself starts in <see cref="StartAsync"/>.</summary>
    public OpenTunnelServer(BenchNetwork network, string gateway, string folder, ServerCertificate certificate)
    {
        if (!File.Exists(gateway))
        {
            throw new FileNotFoundException($"The OpenTunnel gateway '{gateway}' does not exist: publish it first (bench/run does).", gateway);
        }

        _network = network;
        _process = new ServerProcess(network, "the OpenTunnel gateway");
        _gateway = gateway;
        _folder = folder;
        _certificate = certificate;
        _configFile = Path.Combine(folder, "gateway.json");
        Directory.CreateDirectory(DataDirectory);
        WriteConfiguration(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, 64));
        var (file, arguments) = DotnetHost.Command(_gateway, ["token", "--config", _configFile, "--user", UserName, "--lifetime", "172800"]);
        var minted = Command.Run(file, arguments, Command.DefaultTimeout).EnsureSuccess();
        string tokenFile = Path.Combine(folder, "token");
        File.WriteAllText(tokenFile, minted.StandardOutput.Trim() + "\n");
        Credentials = new ClientCredentials(
            ["--token-mode=oidc", "--token-secret=@" + tokenFile],
            null,
            ["--auth", "token", "--token-file", tokenFile],
            ["--token-file", tokenFile]);
    }

    public string Name => "opentunnel";

    public ClientCredentials Credentials { get; }

    public string Output => _process.Output;

    private string DataDirectory => Path.Combine(_folder, "data");

    /// <summary>The gateway's control socket (its default place in the data directory).</summary>
    public string ControlSocket => Path.Combine(DataDirectory, "control.sock");

    public async Task StartAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        // No separate "check": "run" validates the file first and exits naming the bad setting, which StartAsync reports with the output.
        WriteConfiguration(settings);
        var (file, arguments) = DotnetHost.Command(_gateway, ["run", "--config", _configFile]);
        await _process.StartAsync(file, arguments, cancellationToken);
    }

    public Task StopAsync() => _process.StopAsync();

    private void WriteConfiguration(ServerSettings settings)
    {
        var config = new JsonObject
        {
            ["DataDirectory"] = DataDirectory,
            ["Listener"] = new JsonObject { ["Address"] = _network.GatewayPublicAddress, ["Port"] = _network.Port },
            ["Tls"] = new JsonObject { ["CertificateFile"] = _certificate.CertificatePath, ["KeyFile"] = _certificate.KeyPath },
            ["Network"] = new JsonObject
            {
                ["TunDevice"] = _network.ServerTunPrefix + "0",
                ["IPv4Pool"] = string.Create(CultureInfo.InvariantCulture, $"{settings.PoolNetwork}/{settings.PoolPrefixLength}"),
                ["DnsServers"] = new JsonArray(BenchNetwork.DnsServer),
                ["DefaultDomain"] = BenchNetwork.DnsDomain,
                ["SplitInclude"] = new JsonArray(BenchNetwork.CorpSubnet),
                ["EgressInterfaces"] = new JsonArray(_network.Topology.GatewayCorpInterface),
            },
            // The same sign-in limits as the ocserv configuration: one user many times over, no pacing.
            ["Limits"] = new JsonObject { ["MaxSessions"] = settings.MaxSessions, ["MaxSessionsPerUser"] = 0, ["AuthAttemptsPerMinute"] = 0 },
            ["Metrics"] = new JsonObject { ["Address"] = string.Empty },
            ["Auth"] = new JsonObject
            {
                ["Issuer"] = Issuer,
                ["Audience"] = Audience,
                ["JwksFile"] = Path.Combine(DataDirectory, "token-signing-jwks.json"),
            },
        };
        File.WriteAllText(_configFile, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
