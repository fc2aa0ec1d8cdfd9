using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// Load-aware sign-in through the management service: two gateways of one site, each with its
/// agent; the site's configuration turns redirects on, each server is given its public address,
/// and the peer list the service publishes reaches the gateways through their agents. Debian's
/// openconnect pointed at the loaded gateway ends connected to the other one, with DTLS up.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LoadAwareSignInTests
{
    [Fact]
    public async Task TwoGatewaysOfASite_OpenConnectPointedAtTheLoadedOne_EndsOnTheOtherWithDtls()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management) = (stack.Gateway, stack.Management);
        AdminApiClient api = management.Api;
        using var peer = await PeerGateway.StartAsync(gateway);
        string token = (await api.PostAsync($"/api/v1/sites/{stack.Site}/enrolment-tokens", new { validForHours = 1 })).GetProperty("token").GetString()!;
        using var peerAgent = await AgentProcess.StartAsync(peer.ControlSocket, peer.ConfigFile, "gw-e2e-2", management, token, gateway.Directory.Subdirectory("peer-agent"));
        var servers = await api.WaitForAsync($"/api/v1/servers?siteId={stack.Site}", s => s.GetProperty("totalCount").GetInt32() == 2, TimeSpan.FromSeconds(20), "the second server appears in the site");
        string peerServer = servers.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("id").GetString() != stack.Server).GetProperty("id").GetString()!;

        await api.PutAsync($"/api/v1/servers/{stack.Server}", new { name = "gw-e2e", publicAddress = $"{NetworkTopology.GatewayPublicAddress}:{GatewayInstance.Port}" });
        var stored = await api.PutAsync($"/api/v1/servers/{peerServer}", new { name = "gw-e2e-2", publicAddress = PeerGateway.Address });
        var configuration = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(AgentEndToEndTests.Configuration(["198.18.2.53"])))!.AsObject();
        configuration["loadBalancing"] = new JsonObject { ["mode"] = "redirect", ["thresholdPercent"] = 0 };
        await api.PutAsync($"/api/v1/configurations/{stack.Configuration}", configuration);
        Assert.Equal(PeerGateway.Address, stored.GetProperty("publicAddress").GetString());

        // The service publishes the peer list; the first gateway's agent writes it into its file and applies it.
        JsonObject listed = await WaitForPeerAsync(gateway.ConfigFile, PeerGateway.Address, TimeSpan.FromSeconds(30));
        Assert.Equal("Redirect", listed["Mode"]!.GetValue<string>());
        Assert.Equal(0, listed["Peers"]![0]!["Sessions"]!.GetValue<int>());

        // Neither holds a session: alice stays. Then the first gateway holds one more: bob goes to the peer
        // (as long as the service still judges the peer healthy: a 5-minute CPU average of 100 % is unhealthy).
        using var alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otalice");
        await WaitForPeerAsync(gateway.ConfigFile, PeerGateway.Address, TimeSpan.FromSeconds(30));
        using var bob = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("bob")), "otbob", installRoutes: false);
        Assert.StartsWith("198.18.128.", alice.Address, StringComparison.Ordinal);
        Assert.True(bob.Address.StartsWith("198.18.129.", StringComparison.Ordinal),
            $"bob got {bob.Address} from the first gateway. Its file:\n{await File.ReadAllTextAsync(gateway.ConfigFile)}\nIts log:\n{gateway.Process.Output}");
        await bob.Process.WaitForOutputAsync("Established DTLS connection", TimeSpan.FromSeconds(15));
        Assert.Contains($"GET https://{PeerGateway.Address}/?ot-redirected=1", bob.Process.Output, StringComparison.Ordinal);
        string dtls = SignInRedirectTests.Series("sessions_connected", "channel=\"dtls\"", 1);
        Assert.Matches(dtls, await SignInRedirectTests.ScrapeUntilAsync(gateway, PeerGateway.MetricsPort, dtls));
    }

    /// <summary>The gateway file's LoadBalancing section once it lists <paramref name="address"/> as healthy.</summary>
    private static async Task<JsonObject> WaitForPeerAsync(string configFile, string address, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string text = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            text = await File.ReadAllTextAsync(configFile);
            if (JsonNode.Parse(text)?["LoadBalancing"] is JsonObject section
                && section["Peers"] is JsonArray peers
                && peers.Any(p => p?["Address"]?.GetValue<string>() == address && p["Healthy"]?.GetValue<bool>() == true))
            {
                return section;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The gateway's file did not list {address} as a healthy peer within {timeout.TotalSeconds:0} s:\n{text}");
    }
}
