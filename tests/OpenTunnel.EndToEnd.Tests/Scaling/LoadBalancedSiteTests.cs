using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Client;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Scaling;

/// <summary>
/// Three gateways of one site, each with its agent, enrolled into the management service, behind
/// Debian's HAProxy (443/tcp) and nginx (DTLS) run from deploy/loadbalancer; thirty clients, each
/// in its own namespace (its own address, which the balancers hash) running <c>opentunnel connect</c>
/// with Debian's openconnect. docs/scaling.md describes the set-up.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LoadBalancedSiteTests(ITestOutputHelper output)
{
    private const int Clients = 30;
    private const int Gateways = 3;
    private const int FirstUdpPort = 4431;

    [Fact]
    public async Task ThirtyClients_SpreadOverThreeGateways_OnDtls_ConfigurationReachesAll_DrainedGatewaysClientsMoveWithin30Seconds()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "ping", "haproxy", "nginx");
        SiteBalancer.RequireStreamModule();
        var total = Stopwatch.StartNew();
        using var directory = new TemporaryDirectory();
        using var network = BalancedSiteNetwork.Create(Clients, Gateways);
        using var management = await ManagementProcess.StartAsync(directory.Subdirectory("management"));
        using var issuer = DevelopmentTokenIssuer.CreateOrLoad(directory.Subdirectory("issuer"), GatewayInstance.Issuer, GatewayInstance.Audience, DevelopmentKeyKind.EcP256);
        string firstData = Path.Combine(directory.Subdirectory("gw1"), "data");
        Directory.CreateDirectory(firstData);
        string pin = ServerCertificate.Load(new TlsOptions(), firstData, DateTimeOffset.UtcNow).Pin;
        string certificate = Directory.GetFiles(firstData, "self-signed.pem").Single();

        var gateways = new List<BalancedGateway>();
        var agents = new List<TrackedProcess>();
        var clients = new List<TrackedProcess>();
        SiteBalancer? balancer = null;
        try
        {
            gateways.AddRange(await Task.WhenAll(Enumerable.Range(0, Gateways).Select(k => BalancedGateway.StartAsync(
                network.Gateways[k], k, directory.Subdirectory($"gw{k + 1}"), issuer.JwksPath, certificate, GatewayInstance.Port, FirstUdpPort + k))));

            // The site: its public address is the balancer's; every gateway enrols into it with a token of its own.
            AdminApiClient api = management.Api;
            string configuration = (await api.PostAsync("/api/v1/configurations", AgentEndToEndTests.Configuration(["198.18.2.53"]))).GetProperty("id").GetString()!;
            string site = (await api.PostAsync("/api/v1/sites", new { name = "balanced", publicAddress = BalancedSiteNetwork.PublicAddress, serverConfigurationId = configuration }))
                .GetProperty("id").GetString()!;
            foreach (BalancedGateway gateway in gateways)
            {
                string token = (await api.PostAsync($"/api/v1/sites/{site}/enrolment-tokens", new { validForHours = 1 })).GetProperty("token").GetString()!;
                agents.Add(await AgentProcess.StartAsync(gateway.ControlSocket, gateway.ConfigFile, gateway.Name, management, token, directory.Subdirectory("agent-" + gateway.Name)));
            }

            JsonElement servers = await api.WaitForAsync($"/api/v1/servers?siteId={site}", s => s.GetProperty("totalCount").GetInt32() == Gateways, TimeSpan.FromSeconds(20), "the three servers appear in the site");
            string[] serverIds = [.. servers.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
            foreach (string server in serverIds)
            {
                await api.WaitForAsync($"/api/v1/servers/{server}/health", h => h.GetProperty("state").GetString() == "online" && AgentEndToEndTests.Applied(h),
                    TimeSpan.FromSeconds(30), "every server is online and runs the site's configuration");
            }

            balancer = await SiteBalancer.StartAsync(network.Balancer, directory.Subdirectory("balancer"), BalancedSiteNetwork.PublicAddress, GatewayInstance.Port, Gateways, FirstUdpPort);
            foreach (BalancedGateway gateway in gateways)
            {
                await balancer.WaitForServerStateAsync(gateway.Name, "UP", TimeSpan.FromSeconds(20));
            }

            TimeSpan setUp = total.Elapsed;

            // Thirty clients, each its own user and namespace, through the client (which restarts openconnect when needed).
            string script = OpenConnectClient.ScriptFile(new ScriptFolder(directory));
            var recorded = new string[Clients];
            var connectClock = Stopwatch.StartNew();
            for (int i = 0; i < Clients; i++)
            {
                string user = User(i);
                string home = directory.Subdirectory("client-" + user);
                string tokenFile = Path.Combine(home, "token");
                await File.WriteAllTextAsync(tokenFile, issuer.Mint(new DevelopmentTokenRequest
                {
                    Subject = user,
                    UserName = user,
                    DeviceId = "device-" + user,
                    ExtraClaims = new Dictionary<string, object> { ["compliance"] = "compliant" },
                    Lifetime = TimeSpan.FromHours(1),
                }));
                recorded[i] = directory.Subdirectory("env-" + user);
                clients.Add(BalancedSiteNetwork.Start(network.Clients[i], "dotnet",
                    [ClientConnectTests.Client, "connect", "--engine", "openconnect", "--token-file", tokenFile, "--gateway", $"https://{BalancedSiteNetwork.PublicAddress}:{GatewayInstance.Port}",
                     "--servercert", "pin-sha256:" + pin, "--script", script, "--", "-v", "--non-inter", "--interface", "otc0"],
                    new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home, ["OT_ENV_DIR"] = recorded[i], ["OT_ROUTES"] = "1" }));
            }

            await WaitAsync(async () => (await AllSessionsAsync(gateways)).Count == Clients, TimeSpan.FromSeconds(120), "all thirty clients connect", clients, gateways);
            TimeSpan connected = connectClock.Elapsed;
            await WaitAsync(async () => (await AllSessionsAsync(gateways)).All(s => s.Channel == "DTLS"), TimeSpan.FromSeconds(30), "every session runs on DTLS", clients, gateways);
            var before = new Dictionary<BalancedGateway, IReadOnlyList<(string Id, string User, string Channel)>>();
            foreach (BalancedGateway gateway in gateways)
            {
                before[gateway] = await gateway.SessionsAsync();
            }

            output.WriteLine("Spread: " + string.Join(", ", gateways.Select(g => $"{g.Name} {before[g].Count}")));
            Assert.All(gateways, g => Assert.True(before[g].Count > 0, $"{g.Name} holds no session: " + string.Join(", ", gateways.Select(x => $"{x.Name} {before[x].Count}"))));
            Assert.Equal(Clients, before.Values.Sum(s => s.Count));
            await PingEveryClientAsync(network, clients, gateways);

            // A configuration change reaches all three gateways within 5 s.
            var changeClock = Stopwatch.StartNew();
            await api.PutAsync($"/api/v1/configurations/{configuration}", AgentEndToEndTests.Configuration(["198.18.2.54"]));
            await Task.WhenAll(serverIds.Select(server => api.WaitForAsync($"/api/v1/servers/{server}/health", AgentEndToEndTests.Applied, TimeSpan.FromSeconds(10), "the change is applied on every gateway")));
            TimeSpan untilApplied = changeClock.Elapsed;
            Assert.True(untilApplied < TimeSpan.FromSeconds(5), $"From the change to all three gateways running it took {Seconds(untilApplied)} s.");
            Assert.All(gateways, g => Assert.Contains("198.18.2.54", File.ReadAllText(g.ConfigFile), StringComparison.Ordinal));

            // Drain the gateway with the most sessions: HAProxy marks it down, its sessions run on.
            BalancedGateway drained = gateways.OrderByDescending(g => before[g].Count).First();
            // Through the management service: the agent keeps the gateway's drain as the service has it.
            string drainedServer = servers.GetProperty("items").EnumerateArray().Single(x => x.GetProperty("name").GetString() == drained.Name).GetProperty("id").GetString()!;
            await api.PutAsync($"/api/v1/servers/{drainedServer}", new { name = drained.Name, drain = true });
            await balancer.WaitForServerStateAsync(drained.Name, "DOWN", TimeSpan.FromSeconds(20));
            Assert.Equal(before[drained].Select(s => s.Id).Order(), (await drained.SessionsAsync()).Select(s => s.Id).Order());

            // Stop it: its clients sign in again through the balancer and land on the others.
            var failoverClock = Stopwatch.StartNew();
            drained.Process.Signal(15);
            await drained.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            BalancedGateway[] others = [.. gateways.Where(g => g != drained)];
            await WaitAsync(async () => (await AllSessionsAsync(others)).Count == Clients, TimeSpan.FromSeconds(30), "the drained gateway's clients are back on the others within 30 s", clients, gateways);
            TimeSpan failover = failoverClock.Elapsed;
            foreach (BalancedGateway gateway in others)
            {
                IReadOnlyList<(string Id, string User, string Channel)> now = await gateway.SessionsAsync();
                Assert.All(before[gateway], s => Assert.Contains(now, n => n.Id == s.Id));
            }

            HashSet<string> movedUsers = [.. before[drained].Select(s => s.User)];
            for (int i = 0; i < Clients; i++)
            {
                bool moved = movedUsers.Contains(User(i));
                Assert.False(clients[i].HasExited, $"The client of {User(i)} ended:\n{clients[i].Output}");
                Assert.Equal(moved, clients[i].Output.Contains("signing in again", StringComparison.Ordinal));
            }

            await WaitAsync(async () => (await AllSessionsAsync(others)).All(s => s.Channel == "DTLS"), TimeSpan.FromSeconds(30), "the moved sessions run on DTLS", clients, gateways);
            await PingEveryClientAsync(network, clients, gateways);
            output.WriteLine($"Set-up {Seconds(setUp)} s; 30 clients connected in {Seconds(connected)} s; configuration on all three gateways in {Seconds(untilApplied)} s; "
                + $"{movedUsers.Count} clients of {drained.Name} back on the others {Seconds(failover)} s after its stop began; whole test {Seconds(total.Elapsed)} s");
        }
        finally
        {
            foreach (TrackedProcess client in clients)
            {
                client.Signal(15);
            }

            foreach (TrackedProcess client in clients)
            {
                client.Dispose();
            }

            balancer?.Dispose();
            foreach (TrackedProcess agent in agents)
            {
                agent.Dispose();
            }

            foreach (BalancedGateway gateway in gateways)
            {
                gateway.Dispose();
            }
        }
    }

    private static string User(int i) => string.Create(CultureInfo.InvariantCulture, $"user{i:00}");

    private static string Seconds(TimeSpan span) => AgentProcess.Seconds(span);

    private static async Task<List<(string Id, string User, string Channel)>> AllSessionsAsync(IEnumerable<BalancedGateway> gateways)
    {
        var all = new List<(string Id, string User, string Channel)>();
        foreach (BalancedGateway gateway in gateways)
        {
            all.AddRange(await gateway.SessionsAsync());
        }

        return all;
    }

    private static async Task PingEveryClientAsync(BalancedSiteNetwork network, List<TrackedProcess> clients, IEnumerable<BalancedGateway> gateways)
    {
        // One reply within 15 s (a probe every 0.5 s until then): thirty clients, three gateways and
        // the balancers share two cores with the rest of the suite.
        CommandResult[] pings = await Task.WhenAll(network.Clients.Select(ns => BalancedSiteNetwork.ExecAsync(ns, "ping", "-c", "1", "-i", "0.5", "-w", "15", BalancedSiteNetwork.CorpAddress)));
        int[] failed = [.. Enumerable.Range(0, pings.Length).Where(i => !pings[i].Succeeded)];
        if (failed.Length == 0)
        {
            return;
        }

        var where = new List<string>();
        foreach (BalancedGateway gateway in gateways)
        {
            if (!gateway.Process.HasExited)
            {
                JsonNode status = (await gateway.ControlAsync(new JsonObject { ["command"] = "status" }))!;
                where.Add($"{gateway.Name}: {string.Join(" ", (await gateway.SessionsAsync()).Select(x => x.User))}; dropped {status["dropped"]!.ToJsonString()}; dtls {status["dtls"]!.ToJsonString()}");
            }
        }

        Assert.Fail($"Pings through the tunnel failed from {string.Join(", ", failed.Select(User))}.\n{string.Join("\n", where)}\n"
            + $"Client {User(failed[0])}:\n{clients[failed[0]].Output}");
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, string what, List<TrackedProcess> clients, List<BalancedGateway> gateways)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline)
            {
                var counts = new List<string>();
                foreach (BalancedGateway gateway in gateways)
                {
                    var sessions = await gateway.SessionsAsync();
                    counts.Add($"{gateway.Name}: {sessions.Count} ({string.Join(" ", sessions.Select(s => s.User + "/" + s.Channel))})");
                }

                TrackedProcess? ended = clients.FirstOrDefault(c => c.HasExited);
                throw new TimeoutException($"Not within {timeout.TotalSeconds:0} s: {what}. {string.Join("; ", counts)}."
                    + (ended is null ? string.Empty : $"\nA client ended:\n{ended.Output}")
                    + $"\nFirst client:\n{clients[0].Output}\nFirst gateway:\n{gateways[0].Process.Output[^Math.Min(4000, gateways[0].Process.Output.Length)..]}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Where <see cref="OpenConnectClient.ScriptFile"/> writes the test's vpnc script: only the folder is used.</summary>
    private sealed class ScriptFolder(TemporaryDirectory directory) : IOpenConnectServer
    {
        public NetworkTopology Topology => throw new NotSupportedException("The script needs no topology.");

        public TemporaryDirectory Directory { get; } = directory;

        public string Pin => throw new NotSupportedException("The script needs no pin.");

        public string Url => throw new NotSupportedException("The script needs no URL.");
    }
}
