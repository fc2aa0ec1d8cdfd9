using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using OpenTunnel.Trust;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// deploy/compose/compose.yaml as an administrator runs it, with Debian's podman-compose 1.0.3,
/// on a "server" that is the gateway namespace of the standard topology (podman-compose under
/// nsenter --net, so podman's bridge, its NAT and port-forwarding rules and the forwarding switch
/// all live in that namespace). The stack's network is made first with a subnet of the test
/// range; the images are this checkout's (<see cref="ContainerImages"/>).
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ContainerImages.Collection)]
public sealed class ComposeStackTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ComposeUp_InANamespace_ManagementServesHttps_GatewayEnrols_OpenConnectReachesCorp_AndDownLeavesNothing()
    {
        Prerequisites.RequireRootAndCommands("podman", "podman-compose", "nsenter", "runc", "nft", "openconnect", "curl");
        output.WriteLine($"Image build: {ContainerImages.Build().TotalSeconds:0} s");
        string rootBefore = RootNamespaceState();
        using NetworkTopology topology = NetworkTopology.Create();
        string project = topology.Prefix + "compose";
        string management = project + "_management_1";
        string gateway = project + "_gateway_1";
        string tokenFile = _directory.File("enrolment-token");
        File.WriteAllText(tokenFile, "");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var environment = new Dictionary<string, string>
        {
            ["CONTAINERS_CONF"] = ContainerImages.ContainersConf,
            ["MANAGEMENT_AGENT_URL"] = $"https://{NetworkTopology.GatewayPublicAddress}:8444",
            ["OPENTUNNEL_TAG"] = ContainerImages.Tag,
            ["OPENTUNNEL_NETWORK"] = project,
            ["ENROLMENT_TOKEN_FILE"] = tokenFile,
        };
        try
        {
            // The install tests remove the gateway image from podman's storage; the archive has it.
            foreach (string image in new[] { "management", "gateway" })
            {
                if (!Podman("image", "exists", $"localhost/opentunnel-{image}:{ContainerImages.Tag}").Succeeded)
                {
                    Podman("load", "--quiet", "-i", Path.Combine(ContainerImages.Folder, $"opentunnel-{image}.oci.tar")).EnsureSuccess();
                }
            }

            // The subnet is one of the test range; the pid keeps parallel runs on the machine apart.
            string subnet = string.Create(CultureInfo.InvariantCulture, $"198.19.{Environment.ProcessId % 200 + 20}.0/24");
            Podman("network", "create", "--subnet", subnet, "--disable-dns", project).EnsureSuccess();

            CommandResult up = Compose(topology.Gateway, project, environment, "up", "-d", "management");
            output.WriteLine(up.StandardOutput + up.StandardError);
            Assert.True(up.Succeeded, up.StandardOutput + up.StandardError);

            // The management service over HTTPS from the client's side, through the published
            // port, trusting only the CA whose pin the service wrote at its start.
            string caFile = _directory.File("ca.pem");
            string apiUrl = $"https://{NetworkTopology.GatewayPublicAddress}:9443";
            await WaitAsync(() =>
            {
                CommandResult pin = Podman("exec", management, "cat", "/var/lib/opentunnel/management/ca-pin");
                if (!pin.Succeeded || !topology.Exec(topology.Client, "curl", "-fsSk", "-o", caFile, apiUrl + "/ca.pem").Succeeded)
                {
                    return false;
                }

                Assert.Equal(pin.StandardOutput.Trim(), PinOf(caFile));
                return topology.Exec(topology.Client, "curl", "-fsS", "--cacert", caFile, apiUrl + "/healthz").Succeeded;
            }, TimeSpan.FromSeconds(90), () => "the management service did not answer over HTTPS: " + Podman("logs", "--tail", "30", management).StandardError);

            // A site and its one-time token, as an administrator makes them.
            string adminKey = Podman("exec", management, "cat", "/var/lib/opentunnel/management/admin-api-key").EnsureSuccess().StandardOutput.Trim();
            JsonElement Api(string path, object body) => ManagementCurl.Call(topology, topology.Client, caFile, adminKey, "POST", apiUrl + path, body);
            JsonElement configuration = Api("/api/v1/configurations", new { name = project, ipv4Range = "198.18.128.0/24", port = 443 });
            JsonElement site = Api("/api/v1/sites", new { name = project, publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = configuration.GetProperty("id").GetString() });
            JsonElement token = Api($"/api/v1/sites/{site.GetProperty("id").GetString()}/enrolment-tokens", new { validForHours = 1 });
            File.WriteAllText(tokenFile, token.GetProperty("token").GetString() + "\n");
            environment["AGENT_CA_PIN"] = token.GetProperty("caPin").GetString()!;

            up = Compose(topology.Gateway, project, environment, "up", "-d", "gateway");
            output.WriteLine(up.StandardOutput + up.StandardError);
            Assert.True(up.Succeeded, up.StandardOutput + up.StandardError);

            // The management service sees the enrolled server healthy (the install script's own question).
            string agentUrl = environment["MANAGEMENT_AGENT_URL"];
            await WaitAsync(() =>
            {
                // 404 until the agent has enrolled.
                string status = topology.Exec(topology.Client, "curl", "-sS", "--cacert", caFile, "-H", "Content-Type: application/json",
                    "-d", JsonSerializer.Serialize(new { token = token.GetProperty("token").GetString() }), agentUrl + "/api/v1/enrolment/status").StandardOutput;
                return status.Contains("\"health\":\"healthy\"", StringComparison.OrdinalIgnoreCase);
            }, TimeSpan.FromSeconds(120), () => "the gateway did not turn healthy: " + Podman("logs", "--tail", "40", gateway).StandardError);
            // The entry point deletes its copy of the token within a second of the stored enrolment.
            await WaitAsync(() => !Podman("exec", gateway, "test", "-e", "/var/lib/opentunnel/agent/enrolment-token").Succeeded,
                TimeSpan.FromSeconds(5), () => "the container's copy of the token is still there 5 s after the enrolment");

            // The agent writes the site's pool into the gateway's file; a gateway takes a new pool
            // at its next start. podman restarts a container on a bridge in the namespace it runs in.
            await WaitAsync(() => Podman("exec", gateway, "grep", "-q", "198.18.128.0/24", "/etc/opentunnel/gateway.json").Succeeded,
                TimeSpan.FromSeconds(60), () => "the site's configuration did not reach the gateway: " + Podman("logs", "--tail", "40", gateway).StandardError);
            Command.Run("nsenter", ["--net=/run/netns/" + topology.Gateway, "env", "CONTAINERS_CONF=" + ContainerImages.ContainersConf, "podman", "restart", "-t", "10", gateway], TimeSpan.FromMinutes(2)).EnsureSuccess();
            await WaitAsync(() => Podman("exec", gateway, "/opt/opentunnel/entrypoint.sh", "gateway", "status", "--config", "/etc/opentunnel/gateway.json").Succeeded,
                TimeSpan.FromSeconds(60), () => "the restarted gateway did not answer: " + Podman("logs", "--tail", "40", gateway).StandardError);

            // openconnect in the client namespace, through the published TCP and UDP port, to the corp host.
            string pin = InGateway(gateway, "pin", "--config", "/etc/opentunnel/gateway.json").Trim()["pin-sha256:".Length..];
            string userToken = _directory.File("alice.token");
            File.WriteAllText(userToken, InGateway(gateway, "token", "--config", "/etc/opentunnel/gateway.json", "--user", "alice").Trim());
            using (var corp = SourceEchoServer.Start(topology.Corp, NetworkTopology.CorpAddress))
            using (OpenConnectClient client = await OpenConnectClient.ConnectWithTokenAsync(new ComposeGateway(topology, _directory, pin), userToken, "occompose"))
            {
                string seen = topology.Exec(topology.Client, "curl", "-s", "-m", "5", $"http://{NetworkTopology.CorpAddress}:{corp.Port}/").EnsureSuccess().StandardOutput;
                Assert.Equal(NetworkTopology.GatewayCorpAddress, seen);
            }

            // The image's gateway is one native executable: its reach into SslStream for OpenSSL's
            // idle-buffer mode works only with the fields kept for reflection (SslStreamHandle).
            CommandResult logs = Podman("logs", gateway);
            Assert.DoesNotContain("Could not let OpenSSL free the record buffers", logs.StandardOutput + logs.StandardError, StringComparison.Ordinal);

            CommandResult down = Compose(topology.Gateway, project, environment, "down", "-v");
            output.WriteLine(down.StandardOutput + down.StandardError);
            Assert.True(down.Succeeded, down.StandardOutput + down.StandardError);
            Assert.Equal("", Podman("ps", "-a", "-q", "--filter", "label=io.podman.compose.project=" + project).EnsureSuccess().StandardOutput.Trim());
            Assert.Equal("", Podman("volume", "ls", "-q", "--filter", "label=io.podman.compose.project=" + project).EnsureSuccess().StandardOutput.Trim());
            Assert.Equal(rootBefore, RootNamespaceState());
        }
        finally
        {
            Compose(topology.Gateway, project, environment, "down", "-v");
            Podman("network", "rm", "-f", project);

            // podman's CNI address allocator keeps a folder per network on the host after the network is gone.
            string allocations = Path.Combine("/var/lib/cni/networks", project);
            if (Directory.Exists(allocations))
            {
                Directory.Delete(allocations, recursive: true);
            }
        }
    }

    /// <summary>What podman must not change outside the test's namespace: the root namespace's firewall and forwarding.</summary>
    private static string RootNamespaceState() =>
        Command.Run("nft", "list", "ruleset").EnsureSuccess().StandardOutput
        + "ip_forward=" + File.ReadAllText("/proc/sys/net/ipv4/ip_forward")
        + "ipv6 forwarding=" + File.ReadAllText("/proc/sys/net/ipv6/conf/all/forwarding");

    private static CommandResult Podman(params string[] arguments) => ContainerImages.Podman(arguments, TimeSpan.FromMinutes(2));

    /// <summary>podman-compose in the server namespace, with nsenter (ip netns exec would mount a sysfs without the cgroup file systems podman needs).</summary>
    private static CommandResult Compose(string ns, string project, Dictionary<string, string> environment, params string[] arguments) =>
        Command.Run("nsenter", ["--net=/run/netns/" + ns, "env", .. environment.Select(e => $"{e.Key}={e.Value}"),
            "podman-compose", "-p", project, "-f", Path.Combine(ContainerImages.Root, "deploy", "compose", "compose.yaml"), .. arguments],
            TimeSpan.FromMinutes(3));

    private static string InGateway(string container, params string[] arguments) =>
        Podman(["exec", container, "/opt/opentunnel/entrypoint.sh", "gateway", .. arguments]).EnsureSuccess().StandardOutput;

    private static string PinOf(string pemFile)
    {
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pemFile));
        return CertificatePins.Of(certificate);
    }

    private static async Task WaitAsync(Func<bool> done, TimeSpan timeout, Func<string> failure)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure());
            await Task.Delay(1000);
        }
    }

    /// <summary>The compose stack's gateway as openconnect sees it: the server's public address, port 443.</summary>
    private sealed class ComposeGateway(NetworkTopology topology, TemporaryDirectory directory, string pin) : IOpenConnectServer
    {
        public NetworkTopology Topology => topology;

        public TemporaryDirectory Directory => directory;

        public string Pin => pin;

        public string Url => $"https://{NetworkTopology.GatewayPublicAddress}:443";
    }
}
