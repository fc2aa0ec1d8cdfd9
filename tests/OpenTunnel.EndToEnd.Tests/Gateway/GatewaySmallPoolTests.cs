using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A gateway with a /30 pool (the gateway's address and one client address) and a full tunnel
/// with the "internet" subnet excluded: split-exclude routing, and pool exhaustion refusing a
/// second client with 503 while the first keeps working.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewaySmallPoolTests : IClassFixture<GatewaySmallPoolTests.Fixture>
{
    private readonly Fixture _fixture;

    public GatewaySmallPoolTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

    [Fact]
    public void SplitExclude_FullTunnel_SendsCorpThroughTheTunnelAndTheExcludedSubnetAround()
    {
        var environment = _fixture.First.Environment();

        Assert.False(environment.ContainsKey("CISCO_SPLIT_INC"));
        Assert.Equal("198.18.3.0", environment["CISCO_SPLIT_EXC_0_ADDR"]);
        Assert.Equal(NetworkTopology.GatewayCorpAddress, Curl(NetworkTopology.CorpAddress, _fixture.Corp.Port));
        Assert.Equal(NetworkTopology.ClientAddress, Curl(NetworkTopology.InternetAddress, _fixture.Internet.Port));
    }

    [Fact]
    public async Task PoolExhausted_SecondClient_IsRefusedAndTheFirstKeepsWorking()
    {
        Assert.Equal("198.18.128.2", _fixture.First.Address);

        using var second = await OpenConnectClient.StartWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("bob")), "ocbob");
        int exit = await second.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exit);
        Assert.Contains("VPN service unavailable; reason: The address pool is exhausted", second.Process.Output, StringComparison.Ordinal);
        await Gateway.Process.WaitForOutputAsync("the address pool 198.18.128.0/30 is exhausted (1 addresses)", TimeSpan.FromSeconds(10));
        Assert.Equal(NetworkTopology.GatewayCorpAddress, Curl(NetworkTopology.CorpAddress, _fixture.Corp.Port));
    }

    private string Curl(string address, int port) =>
        Gateway.Topology.Exec(Gateway.Topology.Client, "curl", "-s", "-m", "5", $"http://{address}:{port}/").EnsureSuccess().StandardOutput;

    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient First { get; private set; } = null!;

        public SourceEchoServer Corp { get; private set; } = null!;

        public SourceEchoServer Internet { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Gateway = await GatewayInstance.StartAsync(config =>
            {
                var network = config["Network"]!.AsObject();
                network["IPv4Pool"] = "198.18.128.0/30";
                network["SplitInclude"] = new JsonArray();
                network["SplitExclude"] = new JsonArray(NetworkTopology.InternetSubnet);
            });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Internet = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            First = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice")), "ocfirst");
        }

        public Task DisposeAsync()
        {
            First?.Dispose();
            Corp?.Dispose();
            Internet?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }
    }
}
