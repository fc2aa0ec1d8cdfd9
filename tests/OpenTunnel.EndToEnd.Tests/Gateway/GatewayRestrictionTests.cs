using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A gateway with Network:RestrictToRoutes (split include: the corp subnet) and the default
/// Network:AllowClientToHost = false, its DNS server pushed on the gateway host itself, and one
/// openconnect client: the client reaches the included corp server, but not a server outside the
/// routes even when it sends the packets into the tunnel, nor the gateway host's own services
/// apart from the DNS port of the pushed server. Real nftables in the gateway namespace.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayRestrictionTests : IClassFixture<GatewayRestrictionTests.Fixture>
{
    private readonly Fixture _fixture;

    public GatewayRestrictionTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

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
            });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Internet = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            HostService = SourceEchoServer.Start(Gateway.Topology.Gateway, NetworkTopology.GatewayCorpAddress);
            HostDns = SourceEchoServer.Start(Gateway.Topology.Gateway, NetworkTopology.GatewayCorpAddress, 53);
            Alice = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice")), "ocalice");
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
