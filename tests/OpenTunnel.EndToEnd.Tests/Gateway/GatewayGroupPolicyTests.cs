using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A gateway with Network:GroupPolicies: group "eng" gets the corp network (198.18.2.0/24), group
/// "ops" the other internal network (198.18.3.0/24), each replacing the defaults, with DNS of their
/// own. Three real openconnect clients in the client namespace: alice (eng), bob (ops) and carol
/// (both). Each reaches its own networks through the tunnel and nothing else, also when it sends
/// the other network's packets into its tunnel (bound to its tunnel device, or with a route added
/// by hand); carol reaches both. The drops are counted in the table's policy_drops counter, and a
/// reload that gives eng the second network opens it to alice's running session. Real nftables in
/// the gateway namespace.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayGroupPolicyTests : IClassFixture<GatewayGroupPolicyTests.Fixture>
{
    private readonly Fixture _fixture;

    public GatewayGroupPolicyTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

    private NetworkTopology Topology => Gateway.Topology;

    [Fact]
    public void Connect_EachUser_IsGivenTheRoutesDnsAndSuffixOfItsGroups()
    {
        IReadOnlyDictionary<string, string> alice = _fixture.Alice.Environment();
        IReadOnlyDictionary<string, string> bob = _fixture.Bob.Environment();
        IReadOnlyDictionary<string, string> carol = _fixture.Carol.Environment();

        Assert.Equal(("1", "198.18.2.0"), (alice["CISCO_SPLIT_INC"], alice["CISCO_SPLIT_INC_0_ADDR"]));
        Assert.Equal("198.18.2.54", alice["INTERNAL_IP4_DNS"]);
        Assert.Equal(("1", "198.18.3.0"), (bob["CISCO_SPLIT_INC"], bob["CISCO_SPLIT_INC_0_ADDR"]));
        Assert.Equal("198.18.3.53", bob["INTERNAL_IP4_DNS"]);
        Assert.Equal("ops.opentunnel.test", bob["CISCO_DEF_DOMAIN"]);
        Assert.Equal("2", carol["CISCO_SPLIT_INC"]);
        // openconnect numbers the routes in the opposite order of the headers.
        Assert.Equal(["198.18.2.0", "198.18.3.0"], new[] { carol["CISCO_SPLIT_INC_0_ADDR"], carol["CISCO_SPLIT_INC_1_ADDR"] }.Order(StringComparer.Ordinal));
        Assert.Equal("198.18.2.54 198.18.3.53", carol["INTERNAL_IP4_DNS"]);
    }

    [Fact]
    public void Eng_ReachesCorpThroughTheTunnel_ButNotTheOtherNetwork()
    {
        Assert.Equal(NetworkTopology.GatewayCorpAddress, _fixture.Alice.CurlThroughTunnel(Topology, NetworkTopology.CorpAddress, _fixture.Corp.Port).EnsureSuccess().StandardOutput);
        Assert.True(_fixture.Alice.PingThroughTunnel(Topology, NetworkTopology.CorpAddress).Succeeded, "alice could not ping the corp host");

        long before = PolicyDrops();
        CommandResult refused = _fixture.Alice.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port);

        Assert.False(refused.Succeeded, $"alice reached {NetworkTopology.InternetAddress} outside her group's routes: {refused.StandardOutput}");
        Assert.False(_fixture.Alice.PingThroughTunnel(Topology, NetworkTopology.InternetAddress).Succeeded, "alice pinged the other network");
        Assert.True(PolicyDrops() > before, "the drops were not counted in policy_drops");
    }

    [Fact]
    public void Ops_ReachesTheOtherNetworkThroughTheTunnel_ButNotCorp()
    {
        Assert.Equal(NetworkTopology.GatewayInternetAddress, _fixture.Bob.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).EnsureSuccess().StandardOutput);
        Assert.True(_fixture.Bob.PingThroughTunnel(Topology, NetworkTopology.InternetAddress).Succeeded, "bob could not ping the other network's host");

        CommandResult refused = _fixture.Bob.CurlThroughTunnel(Topology, NetworkTopology.CorpAddress, _fixture.Corp.Port);

        Assert.False(refused.Succeeded, $"bob reached the corp host outside his group's routes: {refused.StandardOutput}");
        Assert.False(_fixture.Bob.PingThroughTunnel(Topology, NetworkTopology.CorpAddress).Succeeded, "bob pinged the corp host");
    }

    [Fact]
    public void Eng_RouteToTheOtherNetworkAddedByHand_IsStillDropped()
    {
        string route = NetworkTopology.InternetAddress + "/32";
        Topology.Exec(Topology.Client, "ip", "route", "add", route, "dev", _fixture.Alice.InterfaceName, "src", _fixture.Alice.Address).EnsureSuccess();
        try
        {
            CommandResult refused = Topology.Exec(Topology.Client, "curl", ["-s", "-m", "3", $"http://{NetworkTopology.InternetAddress}:{_fixture.Other.Port}/"], TimeSpan.FromSeconds(15));

            Assert.False(refused.Succeeded, $"alice reached the other network with a route of her own: {refused.StandardOutput}");
        }
        finally
        {
            Topology.Exec(Topology.Client, "ip", "route", "del", route, "dev", _fixture.Alice.InterfaceName);
        }
    }

    [Fact]
    public void MemberOfBothGroups_ReachesBothNetworks()
    {
        Assert.Equal(NetworkTopology.GatewayCorpAddress, _fixture.Carol.CurlThroughTunnel(Topology, NetworkTopology.CorpAddress, _fixture.Corp.Port).EnsureSuccess().StandardOutput);
        Assert.Equal(NetworkTopology.GatewayInternetAddress, _fixture.Carol.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).EnsureSuccess().StandardOutput);
    }

    [Fact]
    public async Task Reload_GroupGetsTheOtherNetwork_RunningSessionReachesItWithoutReconnecting()
    {
        string original = File.ReadAllText(Gateway.ConfigFile);
        try
        {
            JsonObject config = JsonNode.Parse(original)!.AsObject();
            config["Network"]!["GroupPolicies"]![0]!["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet, NetworkTopology.InternetSubnet);
            File.WriteAllText(Gateway.ConfigFile, config.ToJsonString());

            await Gateway.ControlAsync("reload");

            Assert.Equal(NetworkTopology.GatewayInternetAddress, _fixture.Alice.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).EnsureSuccess().StandardOutput);
            Assert.False(File.Exists(Path.Combine(_fixture.Alice.EnvironmentDirectory, "disconnect")), "alice's client was disconnected by the reload");
        }
        finally
        {
            File.WriteAllText(Gateway.ConfigFile, original);
            await Gateway.ControlAsync("reload");
        }

        Assert.False(_fixture.Alice.CurlThroughTunnel(Topology, NetworkTopology.InternetAddress, _fixture.Other.Port).Succeeded, "alice still reached the other network after the policy was put back");
    }

    private long PolicyDrops()
    {
        string listed = Topology.Exec(Topology.Gateway, "nft", "list", "counter", "inet", "opentunnel", "policy_drops").EnsureSuccess().StandardOutput;
        int at = listed.IndexOf("packets ", StringComparison.Ordinal) + "packets ".Length;
        return long.Parse(listed[at..listed.IndexOf(' ', at)], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The gateway with the two groups' policies, echo servers on both internal networks, and the three users' tunnels.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient Alice { get; private set; } = null!;

        public OpenConnectClient Bob { get; private set; } = null!;

        public OpenConnectClient Carol { get; private set; } = null!;

        public SourceEchoServer Corp { get; private set; } = null!;

        public SourceEchoServer Other { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Gateway = await GatewayInstance.StartAsync(config =>
            {
                config["Udp"] = new JsonObject { ["Enabled"] = false };
                config["Network"]!["GroupPolicies"] = new JsonArray(
                    new JsonObject
                    {
                        ["Group"] = "eng",
                        ["ReplaceRoutes"] = true,
                        ["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet),
                        ["DnsServers"] = new JsonArray("198.18.2.54"),
                    },
                    new JsonObject
                    {
                        ["Group"] = "ops",
                        ["ReplaceRoutes"] = true,
                        ["SplitInclude"] = new JsonArray(NetworkTopology.InternetSubnet),
                        ["DnsServers"] = new JsonArray("198.18.3.53"),
                        ["DefaultDomain"] = "ops.opentunnel.test",
                    });
            });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Other = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            Alice = await Connect("alice", ["eng"], "ocalice");
            Bob = await Connect("bob", ["ops"], "ocbob");
            Carol = await Connect("carol", ["ops", "eng"], "occarol");
        }

        public Task DisposeAsync()
        {
            Alice?.Dispose();
            Bob?.Dispose();
            Carol?.Dispose();
            Corp?.Dispose();
            Other?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }

        private Task<OpenConnectClient> Connect(string user, IReadOnlyList<string> groups, string device) =>
            OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken(user, groups: groups)), device, installRoutes: false);
    }
}
