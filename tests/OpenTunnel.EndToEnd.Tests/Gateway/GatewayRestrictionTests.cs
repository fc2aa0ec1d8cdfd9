using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A gateway of site A (Auth:RequiredSite) with Network:RestrictToRoutes (split include: the corp
/// subnet) and the default Network:AllowClientToHost = false, its DNS server pushed on the gateway
/// host itself, and one openconnect client with a site A token: a site B token is refused, the
/// client reaches the included corp server, but not a server outside the routes even when it
/// sends the packets into the tunnel, nor the gateway host's own services apart from the DNS port
/// of the pushed server. Real nftables in the gateway namespace.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayRestrictionTests : IClassFixture<GatewayRestrictionTests.Fixture>
{
    private const string SiteA = "5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c";
    private const string SiteB = "e1d2c3b4-a596-4877-8899-aabbccddeeff";

    private readonly Fixture _fixture;

    public GatewayRestrictionTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

    [Fact]
    public async Task SiteScoping_TokenForAnotherSite_IsRefusedAndTheLogNamesBothSites()
    {
        string token = Gateway.MintToken("mallory", site: SiteB);

        CommandResult result = OpenConnectClient.Authenticate(Gateway, Gateway.TokenFile(token));

        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("COOKIE=", result.StandardOutput, StringComparison.Ordinal);
        string expected = $"Sign-in from {NetworkTopology.ClientAddress} refused by check token-wrong-site: token was issued for site '{SiteB}', and this gateway serves site '{SiteA}' (Auth:RequiredSite)";
        await Gateway.Process.WaitForOutputAsync(expected, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void SiteScoping_SameUsersTokenForThisSite_GetsACookie()
    {
        CommandResult result = OpenConnectClient.Authenticate(Gateway, Gateway.TokenFile(Gateway.MintToken("mallory", site: SiteA)));

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
        Assert.Contains("COOKIE=", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void RestrictToRoutes_IncludedCorpServer_IsReachedThroughTheTunnel()
    {
        Assert.Equal(NetworkTopology.GatewayCorpAddress, Curl(NetworkTopology.CorpAddress, _fixture.Corp.Port).EnsureSuccess().StandardOutput);
    }

    [Fact]
    public void RestrictToRoutes_ServerOutsideTheRoutes_SentIntoTheTunnelAnyway_IsDropped()
    {
        // The client ignores the pushed routes and sends the "internet" server's traffic into the tunnel.
        var topology = Gateway.Topology;
        string route = NetworkTopology.InternetAddress + "/32";
        topology.Exec(topology.Client, "ip", "route", "add", route, "dev", _fixture.Alice.InterfaceName).EnsureSuccess();
        try
        {
            CommandResult refused = Curl(NetworkTopology.InternetAddress, _fixture.Internet.Port);

            Assert.False(refused.Succeeded, $"reached {NetworkTopology.InternetAddress} outside the routes: {refused.StandardOutput}");
            Assert.Contains("oifname != \"otun0\" ip daddr != @included4 drop", topology.Exec(topology.Gateway, "nft", "list", "table", "inet", "opentunnel").EnsureSuccess().StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            topology.Exec(topology.Client, "ip", "route", "del", route, "dev", _fixture.Alice.InterfaceName);
        }
    }

    [Fact]
    public void ClientToHost_ServiceOnTheGatewayHostsOwnAddress_IsDropped()
    {
        CommandResult refused = Curl(NetworkTopology.GatewayCorpAddress, _fixture.HostService.Port);

        Assert.False(refused.Succeeded, $"reached the gateway host's own service: {refused.StandardOutput}");
    }

    [Fact]
    public void ClientToHost_DnsPortOfThePushedServerOnTheGatewayHost_IsReached()
    {
        // The echo server on port 53 answers with the source it saw: the client's pool address, not translated.
        string seen = Curl(NetworkTopology.GatewayCorpAddress, 53).EnsureSuccess().StandardOutput;

        Assert.Equal(_fixture.Alice.Address, seen);
    }

    private CommandResult Curl(string address, int port) =>
        Gateway.Topology.Exec(Gateway.Topology.Client, "curl", ["-s", "-m", "3", $"http://{address}:{port}/"], TimeSpan.FromSeconds(15));

    /// <summary>The gateway, alice's tunnel and the echo servers: corp, "internet", a service on the gateway host and its DNS port.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient Alice { get; private set; } = null!;

        public SourceEchoServer Corp { get; private set; } = null!;

        public SourceEchoServer Internet { get; private set; } = null!;

        public SourceEchoServer HostService { get; private set; } = null!;

        public SourceEchoServer HostDns { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Gateway = await GatewayInstance.StartAsync(config =>
            {
                config["Udp"] = new JsonObject { ["Enabled"] = false };
                JsonObject network = config["Network"]!.AsObject();
                network["RestrictToRoutes"] = true;
                network["DnsServers"] = new JsonArray(NetworkTopology.GatewayCorpAddress);
                config["Auth"]!["RequiredSite"] = SiteA;
            });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Internet = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            HostService = SourceEchoServer.Start(Gateway.Topology.Gateway, NetworkTopology.GatewayCorpAddress);
            HostDns = SourceEchoServer.Start(Gateway.Topology.Gateway, NetworkTopology.GatewayCorpAddress, 53);
            Alice = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice", site: SiteA)), "ocalice");
        }

        public Task DisposeAsync()
        {
            Alice?.Dispose();
            Corp?.Dispose();
            Internet?.Dispose();
            HostService?.Dispose();
            HostDns?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }
    }
}
