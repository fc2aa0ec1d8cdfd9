using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// `opentunnel-setup install --no-containers`: the systemd units and this build's binaries on a
/// <see cref="ThrowAwayServer"/> (the gateway namespace of the standard topology, with copies of
/// /etc, /opt and /var/lib and a systemctl stand-in, because systemd is not PID 1 on the test
/// machines), enrolled into a management service that runs as a process in the "internet"
/// namespace (198.18.3.10: API on :9443, agent endpoint on :8444, both HTTPS with the deployment CA).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class NoContainersInstallTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task InstallWithoutContainers_InstallsUnitsAndUser_Enrols_OpenConnectReachesCorp_AndUninstallLeavesNothing()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "nsenter", "unshare", "setpriv", "runuser", "useradd", "userdel", "openconnect", "curl", "perl", "openssl");
        using NetworkTopology topology = NetworkTopology.Create(withInternet: true);
        string api = $"https://{NetworkTopology.InternetAddress}:9443";
        string data = _directory.Subdirectory("management");
        using TrackedProcess management = topology.Start(topology.Internet, "dotnet",
            [SolutionOutput.Assembly("OpenTunnel.Management", "opentunnel-management.dll"), "serve", "--urls", api],
            environment: new Dictionary<string, string> { ["Management__DataDirectory"] = data });
        string caFile = Path.Combine(data, "agent-ca.pem");
        for (int attempt = 0; !File.Exists(caFile) || !topology.Exec(topology.Gateway, "curl", "-fsS", "--cacert", caFile, api + "/healthz").Succeeded; attempt++)
        {
            Assert.True(attempt < 120, "the management service did not answer: " + management.Output);
            await Task.Delay(500);
        }

        string adminKey = File.ReadAllText(Path.Combine(data, "admin-api-key")).Trim();
        JsonElement Api(string path, object body) => ManagementCurl.Call(topology, topology.Gateway, caFile, adminKey, "POST", api + path, body);
        JsonElement configuration = Api("/api/v1/configurations", new { name = "units", ipv4Range = "198.18.128.0/24", port = 443 });
        JsonElement site = Api("/api/v1/sites", new { name = "units", publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = configuration.GetProperty("id").GetString() });
        JsonElement token = Api($"/api/v1/sites/{site.GetProperty("id").GetString()}/enrolment-tokens", new { validForHours = 1 });
        string tokenFile = _directory.File("enrolment-token");
        File.WriteAllText(tokenFile, token.GetProperty("token").GetString() + "\n");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        string state = Path.Combine(_directory.Path, "setup-state");
        string sysctl = _directory.Subdirectory("sysctl");
        var server = new ThrowAwayServer(_directory.Subdirectory("server"));
        CommandResult Setup(TimeSpan timeout, params string[] arguments) =>
            Command.Run("nsenter", ["--net=/run/netns/" + topology.Gateway, "env", "OPENTUNNEL_SETUP_STATE=" + state, "OPENTUNNEL_SETUP_SYSCTL_DIR=" + sysctl,
                .. server.Wrap(["sh", Path.Combine(SolutionOutput.Root(), "deploy", "install", "opentunnel-setup"), .. arguments])], timeout);
        CommandResult InServer(params string[] command) =>
            Command.Run("nsenter", ["--net=/run/netns/" + topology.Gateway, .. server.Wrap(command)], TimeSpan.FromMinutes(1));
        string[] install = ["install", "--management", $"https://{NetworkTopology.InternetAddress}:8444", "--site", "units", "--token-file", tokenFile,
            "--ca-pin", token.GetProperty("caPin").GetString()!, "--name", "units-gw", "--wait", "240", "--no-containers", "--binaries", server.Binaries];
        try
        {
            CommandResult installed = Setup(TimeSpan.FromMinutes(6), install);
            output.WriteLine(installed.StandardOutput + installed.StandardError + server.Logs());
            Assert.True(installed.Succeeded, installed.StandardOutput + installed.StandardError + server.Logs());
            // A warning (this machine's CPU busy with other tests) is a working server too.
            Assert.Matches("in site 'units': (healthy|warning: )", installed.StandardOutput);
            Assert.Contains("systemctl enable --now opentunnel-gateway.service opentunnel-agent.service", server.SystemctlLog(), StringComparison.Ordinal);
            Assert.True(File.Exists(server.Path("etc/systemd/system/opentunnel-gateway.service")));
            Assert.Contains("opentunnel:", File.ReadAllText(server.Path("etc/passwd")), StringComparison.Ordinal);

            CommandResult again = Setup(TimeSpan.FromMinutes(1), install);
            Assert.True(again.Succeeded, again.StandardOutput + again.StandardError);
            Assert.Contains("installed already", again.StandardOutput, StringComparison.Ordinal);

            // The agent writes the site's pool into the gateway's file; the gateway takes a new pool at its next start.
            for (int attempt = 0; !File.ReadAllText(server.Path("etc/opentunnel/gateway.json")).Contains("198.18.128.0/24", StringComparison.Ordinal); attempt++)
            {
                Assert.True(attempt < 60, "the site's configuration did not reach the gateway: " + server.Logs());
                await Task.Delay(1000);
            }

            InServer("systemctl", "restart", "opentunnel-gateway.service").EnsureSuccess();
            CommandResult AsGateway(params string[] arguments) => InServer(["runuser", "-u", "opentunnel", "--", "/opt/opentunnel/gateway/opentunnel-gateway", .. arguments]);
            for (int attempt = 0; !AsGateway("status", "--config", "/etc/opentunnel/gateway.json").Succeeded; attempt++)
            {
                Assert.True(attempt < 60, "the restarted gateway did not answer: " + server.Logs());
                await Task.Delay(1000);
            }

            var gateway = new UnitsGateway(topology, _directory, AsGateway("pin", "--config", "/etc/opentunnel/gateway.json").EnsureSuccess().StandardOutput.Trim()["pin-sha256:".Length..]);
            string userToken = _directory.File("alice.token");
            File.WriteAllText(userToken, AsGateway("token", "--config", "/etc/opentunnel/gateway.json", "--user", "alice").EnsureSuccess().StandardOutput.Trim());
            using (var corp = SourceEchoServer.Start(topology.Corp, NetworkTopology.CorpAddress))
            using (OpenConnectClient client = await OpenConnectClient.ConnectWithTokenAsync(gateway, userToken, "ocunits"))
            {
                string seen = topology.Exec(topology.Client, "curl", "-s", "-m", "5", $"http://{NetworkTopology.CorpAddress}:{corp.Port}/").EnsureSuccess().StandardOutput;
                Assert.Equal(NetworkTopology.GatewayCorpAddress, seen);
            }

            CommandResult removed = Setup(TimeSpan.FromMinutes(2), "uninstall");
            output.WriteLine(removed.StandardOutput + removed.StandardError + server.Logs());
            Assert.True(removed.Succeeded, removed.StandardOutput + removed.StandardError);
            Assert.Empty(server.RunningProcesses());
            Assert.Equal(server.MentionsBefore, server.FilesMentioningOpenTunnel());
            Assert.DoesNotContain("opentunnel:", File.ReadAllText(server.Path("etc/passwd")), StringComparison.Ordinal);
            Assert.DoesNotContain("opentunnel:", File.ReadAllText(server.Path("etc/group")), StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(server.Path("opt")));
            Assert.Empty(Directory.GetFileSystemEntries(server.Path("var/lib")));
            Assert.DoesNotContain("Could not find a part of the path", server.Logs(), StringComparison.Ordinal);
            Assert.False(topology.Exec(topology.Gateway, "nft", "list", "table", "inet", "opentunnel").Succeeded, "the nftables table is still there");
            Assert.False(Directory.Exists(state), "the installer's record is still there");
            Assert.Empty(Directory.GetFiles(sysctl));
        }
        finally
        {
            Setup(TimeSpan.FromMinutes(2), "uninstall");
            server.KillLeftovers();
        }
    }

    /// <summary>The gateway of the units as openconnect sees it: the server's public address, port 443.</summary>
    private sealed class UnitsGateway(NetworkTopology topology, TemporaryDirectory directory, string pin) : IOpenConnectServer
    {
        public NetworkTopology Topology => topology;

        public TemporaryDirectory Directory => directory;

        public string Pin => pin;

        public string Url => $"https://{NetworkTopology.GatewayPublicAddress}:443";
    }
}
