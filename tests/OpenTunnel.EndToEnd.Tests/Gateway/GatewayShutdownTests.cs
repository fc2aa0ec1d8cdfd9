namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>Stopping the gateway: clients are told TERMINATE and quit, and the gateway removes what it added.</summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayShutdownTests
{
    [Fact]
    public async Task Stop_ConnectedClient_GetsTerminateAndTheGatewayRemovesItsTableAndDevice()
    {
        using var gateway = await GatewayInstance.StartAsync();
        using var client = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "ocstop");
        Assert.Contains("table inet opentunnel", gateway.Topology.Exec(gateway.Topology.Gateway, "nft", "list", "tables").StandardOutput, StringComparison.Ordinal);

        int gatewayExit = await gateway.StopAsync();
        await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(0, gatewayExit);
        Assert.Contains("received server terminate packet", client.Process.Output, StringComparison.Ordinal);
        Assert.Contains("nftables table inet opentunnel removed", gateway.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("opentunnel", gateway.Topology.Exec(gateway.Topology.Gateway, "nft", "list", "tables").StandardOutput, StringComparison.Ordinal);
        Assert.False(gateway.Topology.Exec(gateway.Topology.Gateway, "ip", "link", "show", "otun0").Succeeded);
    }
}
