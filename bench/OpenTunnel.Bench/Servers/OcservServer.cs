using OpenTunnel.Bench.Network;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>
/// Debian's ocserv (main, sec-mod and a worker per session) in the gateway namespace, in the
/// foreground and tracked by PID, with plain password sign-in (Debian's build has no OIDC).
/// </summary>
internal sealed class OcservServer : IVpnServer
{
    public const string UserName = "bench";

    private readonly BenchNetwork _network;
    private readonly OcservFiles _files;
    private readonly string _passwordFile;
    private readonly ServerProcess _process;

    public OcservServer(BenchNetwork network, string folder, ServerCertificate certificate)
    {
        _network = network;
        _process = new ServerProcess(network, "ocserv");
        Directory.CreateDirectory(folder);
        _files = new OcservFiles(folder, certificate);
        // A throw-away password for a throw-away server in a private namespace.
        string password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        _passwordFile = Path.Combine(folder, "client-password");
        File.WriteAllText(_passwordFile, password + "\n");
        Command.Run("ocpasswd", ["-c", _files.PasswordFile, UserName], Command.DefaultTimeout, $"{password}\n{password}\n").EnsureSuccess();
        Credentials = new ClientCredentials(
            ["--user", UserName, "--passwd-on-stdin"],
            password + "\n",
            ["--auth", "password", "--user", UserName, "--password-file", _passwordFile],
            ["--user", UserName, "--password-file", _passwordFile]);
    }

    public string Name => "ocserv";

    public ClientCredentials Credentials { get; }

    public string Output => _process.Output;

    public async Task StartAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        // ocserv drops to this user after binding; Debian's package creates "ocserv" only on some installs.
        string user = Command.Run("id", "-u", "ocserv").Succeeded ? "ocserv" : "nobody";
        string group = Command.Run("id", "-gn", user).EnsureSuccess().StandardOutput.Trim();
        await File.WriteAllTextAsync(_files.ConfigFile, OcservConfig.Render(_files, _network.GatewayPublicAddress, _network.Port, _network.ServerTunPrefix, settings, user, group), cancellationToken);
        var check = _network.Topology.Exec(_network.Topology.Gateway, "ocserv", "-t", "-c", _files.ConfigFile);
        if (!check.Succeeded)
        {
            throw new InvalidOperationException($"ocserv refused the benchmark's configuration ({_files.ConfigFile}):\n{check.StandardOutput}{check.StandardError}");
        }

        await _process.StartAsync("ocserv", ["-f", "-c", _files.ConfigFile], cancellationToken);
    }

    public Task StopAsync() => _process.StopAsync();
}
