using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;
using OpenTunnel.Trust;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// Two real management processes on one PostgreSQL behind Debian's HAProxy with the shipped
/// configuration (deploy/loadbalancer/management-haproxy.cfg), all in a network namespace of the
/// test with the configuration's addresses (balancer 198.18.0.10, replicas .11 and .12), and a
/// real agent and gateway talking to the balancer. The replica the agent is connected to is
/// killed: the agent's telemetry and a configuration change keep arriving through the other, and
/// sign-ins at the balancer carry on.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class ManagementReplicaFailoverTests(ITestOutputHelper output)
{
    private const string Balancer = "198.18.0.10";
    private static readonly string[] Replicas = ["198.18.0.11", "198.18.0.12"];

    [Fact]
    public async Task ReplicaOfTheAgentKilled_AgentTelemetryAndChangesGoToTheOther_AndSignInsCarryOn()
    {
        Prerequisites.RequireRootAndCommands("ip", "haproxy");
        using var folder = new TemporaryDirectory();
        using var postgres = PostgresServer.Start();
        string ns = string.Create(CultureInfo.InvariantCulture, $"otlb{Environment.ProcessId}");
        using var space = new BalancerNamespace(ns);
        int postgresPort = int.Parse(PortPattern().Match(postgres.ConnectionString).Groups[1].Value, CultureInfo.InvariantCulture);
        using var relay = NamespaceRelay.Start(ns, postgresPort);
        string keyFile = folder.File("secrets-key");
        File.WriteAllText(keyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Both replicas start together on the empty database.
        var replicas = new TrackedProcess?[Replicas.Length];
        try
        {
            for (int i = 0; i < Replicas.Length; i++)
            {
                replicas[i] = StartReplica(ns, Replicas[i], folder.Subdirectory($"replica-{i}"), postgres.ConnectionString, keyFile);
            }

            await Task.WhenAll(Replicas.Select((address, i) => WaitReadyAsync(ns, address, replicas[i]!)));
            using TrackedProcess haproxy = TrackedProcess.Start("ip",
                ["netns", "exec", ns, "haproxy", "-db", "-f", Path.Combine(SolutionOutput.Root(), "deploy", "loadbalancer", "management-haproxy.cfg"), "-p", folder.File("haproxy.pid")]);
            string caFile = Path.Combine(folder.Path, "replica-0", "agent-ca.pem");
            Assert.Equal(File.ReadAllText(caFile), File.ReadAllText(Path.Combine(folder.Path, "replica-1", "agent-ca.pem")));
            string adminKey = File.ReadAllText(new[] { "replica-0", "replica-1" }.Select(r => Path.Combine(folder.Path, r, "admin-api-key")).First(File.Exists)).Trim();
            var trust = DeploymentTrust.FromCaFile(caFile, "the replicas' agent-ca.pem");
            AdminApiClient api = BalancerApi(ns, trust, adminKey);
            await WaitAsync(async () => (await api.Http.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(20), "the balancer answers");

            // A site, a gateway and its agent, enrolled and connected through the balancer.
            using GatewayInstance gateway = await GatewayInstance.StartAsync();
            string configuration = (await api.PostAsync("/api/v1/configurations", AgentEndToEndTests.Configuration(["198.18.2.53"]))).GetProperty("id").GetString()!;
            string site = (await api.PostAsync("/api/v1/sites", new { name = "replicas", publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = configuration }))
                .GetProperty("id").GetString()!;
            string token = (await api.PostAsync($"/api/v1/sites/{site}/enrolment-tokens", new { validForHours = 1 })).GetProperty("token").GetString()!;
            string pin = (await api.GetAsync("/api/v1/agent-ca")).GetProperty("pin").GetString()!;
            using TrackedProcess agent = await StartAgentAsync(ns, gateway, token, pin, folder.Subdirectory("agent"));
            var servers = await api.WaitForAsync($"/api/v1/servers?siteId={site}", s => s.GetProperty("totalCount").GetInt32() == 1, TimeSpan.FromSeconds(20), "the agent's server appears");
            string server = servers.GetProperty("items")[0].GetProperty("id").GetString()!;
            await api.WaitForAsync($"/api/v1/servers/{server}/health", h => h.GetProperty("state").GetString() == "online" && AgentEndToEndTests.Applied(h), TimeSpan.FromSeconds(30), "the server is online");
            JsonElement client = await api.PostAsync("/api/v1/automation-clients", new { name = "failover", role = "read-only" });
            (string clientId, string secret) = (client.GetProperty("client").GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
            Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(api.Http, clientId, secret));

            // The replica the agent's connections went to (HAProxy logs each as it is made).
            int victim = AgentReplica(haproxy.Output);
            replicas[victim]!.Signal(9);
            await replicas[victim]!.WaitForExitAsync(TimeSpan.FromSeconds(10));
            DateTime killedAt = DateTime.UtcNow;
            var sinceKill = Stopwatch.StartNew();

            // Fresh connections: the ones to the killed replica are gone. Alone this takes under a
            // second; in a whole test run it once took more than 30 s (until HAProxy marks the killed
            // replica down, an agent call can still be sent to it and waits for its timeout).
            api = BalancerApi(ns, trust, adminKey);
            JsonElement telemetry = await api.WaitForAsync($"/api/v1/servers/{server}/telemetry?limit=10000",
                s => s.EnumerateArray().Any(x => x.GetProperty("at").GetDateTime() > killedAt), TimeSpan.FromSeconds(90), "telemetry after the kill arrives through the other replica");
            TimeSpan telemetryAfter = sinceKill.Elapsed;

            var change = Stopwatch.StartNew();
            await api.PutAsync($"/api/v1/configurations/{configuration}", AgentEndToEndTests.Configuration(["198.18.2.54"]));
            await api.WaitForAsync($"/api/v1/servers/{server}/health", AgentEndToEndTests.Applied, TimeSpan.FromSeconds(30), "the change made after the kill is applied by the gateway");
            TimeSpan changeApplied = change.Elapsed;
            HttpStatusCode signIn = await TokenStatusAsync(api.Http, clientId, secret);

            Assert.Equal(HttpStatusCode.OK, signIn);
            Assert.Contains("198.18.2.54", await File.ReadAllTextAsync(gateway.ConfigFile), StringComparison.Ordinal);
            Assert.False(agent.HasExited, "The agent ended:\n" + agent.Output);
            Assert.False(replicas[1 - victim]!.HasExited, "The surviving replica ended:\n" + replicas[1 - victim]!.Output);
            Assert.Contains($"management_agents/replica-{(char)('b' - victim)}", haproxy.Output, StringComparison.Ordinal);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Killed replica {(char)('a' + victim)}: the agent's telemetry arrived through the other {telemetryAfter.TotalSeconds:0.0} s later; a change made then reached the gateway in {changeApplied.TotalSeconds:0.0} s; {telemetry.GetArrayLength()} samples in all."));
        }
        finally
        {
            foreach (TrackedProcess? replica in replicas)
            {
                replica?.Dispose();
            }
        }
    }

    private static TrackedProcess StartReplica(string ns, string address, string dataDirectory, string postgres, string keyFile) => TrackedProcess.Start("ip",
    [
        "netns", "exec", ns, "dotnet", SolutionOutput.Assembly("OpenTunnel.Management", "opentunnel-management.dll"), "serve",
        "--urls", $"https://{address}:8443",
        "--Management:DataDirectory", dataDirectory,
        "--Management:PostgresConnectionString", postgres,
        "--Management:SecretsKeyFile", keyFile,
        "--Management:Agents:Listen", $"{address}:8444",
        "--Management:Agents:HostNames:0", Balancer,
        "--Management:Agents:PublicUrl", $"https://{Balancer}:8444",
        "--Identity:Issuer", $"https://{Balancer}:8443/",

        // Changes reach the other replica's polls by notification, not by the stamp read every minute.
        "--Management:Agents:ChangeCheckMilliseconds", "60000",
        "--Management:Agents:LivenessCheckSeconds", "1",
    ]);

    private static async Task<TrackedProcess> StartAgentAsync(string ns, GatewayInstance gateway, string token, string pin, string dataDirectory)
    {
        var environment = new Dictionary<string, string>
        {
            ["OPENTUNNEL_AGENT_DATADIRECTORY"] = dataDirectory,
            ["OPENTUNNEL_AGENT_MANAGEMENTURL"] = $"https://{Balancer}:8444",
            ["OPENTUNNEL_ENROL_TOKEN"] = token,
            ["OPENTUNNEL_AGENT_CAPIN"] = pin,
            ["OPENTUNNEL_AGENT_SERVERNAME"] = "gw-replicas",
            ["OPENTUNNEL_AGENT_GATEWAYCONTROLSOCKET"] = gateway.ControlSocket,
            ["OPENTUNNEL_AGENT_GATEWAYCONFIGURATIONFILE"] = gateway.ConfigFile,
            ["OPENTUNNEL_AGENT_TELEMETRYINTERVALSECONDS"] = "1",
            ["OPENTUNNEL_AGENT_POLLWAITSECONDS"] = "10",
            ["OPENTUNNEL_AGENT_RETRYSECONDS"] = "1",
            ["OPENTUNNEL_AGENT_METRICSADDRESS"] = "127.0.0.1:9464",
        };
        var process = TrackedProcess.Start("ip", ["netns", "exec", ns, "dotnet", SolutionOutput.Assembly("OpenTunnel.Agent", "opentunnel-agent.dll"), "run"], environment: environment);
        await process.WaitForOutputAsync("Agent of server", TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>0 for replica-a, 1 for replica-b: the replica of the agent connections HAProxy logged last.</summary>
    private static int AgentReplica(string haproxyOutput)
    {
        MatchCollection connections = AgentConnection().Matches(haproxyOutput);
        Assert.True(connections.Count > 0, "HAProxy logged no agent connection:\n" + haproxyOutput);
        return connections[^1].Groups[1].Value[0] - 'a';
    }

    private static async Task WaitReadyAsync(string ns, string address, TrackedProcess replica)
    {
        using HttpClient probe = NamespaceClient(ns, new Uri($"https://{address}:8443"), (_, _) => true);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(replica.HasExited, $"The replica on {address} ended at start:\n{replica.Output}");
            try
            {
                using HttpResponseMessage ready = await probe.GetAsync("/healthz/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The replica on {address} was not ready within 90 s:\n{replica.Output}");
    }

    private static AdminApiClient BalancerApi(string ns, DeploymentTrust trust, string adminKey)
    {
        HttpClient http = NamespaceClient(ns, new Uri($"https://{Balancer}:8443"), (certificate, chain) => trust.Validate(Balancer, certificate, chain));
        http.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        return new AdminApiClient(http);
    }

    /// <summary>A client whose connections are made from inside <paramref name="ns"/> (the socket is created on a thread in it).</summary>
    private static HttpClient NamespaceClient(string ns, Uri baseAddress, Func<System.Security.Cryptography.X509Certificates.X509Certificate?, System.Security.Cryptography.X509Certificates.X509Chain?, bool> validate)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                Socket socket = NamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, _) => validate(certificate, chain) },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<HttpStatusCode> TokenStatusAsync(HttpClient http, string clientId, string secret)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret });
        using HttpResponseMessage response = await http.PostAsync(new Uri("/connect/token", UriKind.Relative), form);
        return response.StatusCode;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"Port=(\d+)")]
    private static partial Regex PortPattern();

    [GeneratedRegex(@"management_agents/replica-([ab])")]
    private static partial Regex AgentConnection();

    /// <summary>The test's namespace: its loopback carries the balancer's and the replicas' addresses; removed at the end with every process in it.</summary>
    private sealed class BalancerNamespace : IDisposable
    {
        private readonly string _name;

        public BalancerNamespace(string name)
        {
            _name = name;
            Command.Run("ip", "netns", "del", name);
            Ip("netns", "add", name);
            try
            {
                Ip("-n", name, "link", "set", "lo", "up");
                foreach (string address in Replicas.Prepend(Balancer))
                {
                    Ip("-n", name, "addr", "add", address + "/32", "dev", "lo");
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (int pid in NetworkTopology.ProcessIds(_name))
            {
                try
                {
                    Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }

            Command.Run("ip", "netns", "del", _name);
        }

        private static void Ip(params string[] arguments) => Command.Run("ip", arguments).EnsureSuccess();
    }
}
