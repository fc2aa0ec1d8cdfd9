using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// <c>opentunnel connect</c>, both engines, pointed at a drained gateway whose site has another
/// gateway (<see cref="PeerGateway"/>, load-aware sign-in): the sign-in is redirected and the
/// tunnel runs on the peer.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ClientRedirectTests
{
    private static string ClientAssembly => SolutionOutput.Assembly("OpenTunnel.Client", "opentunnel.dll");

    [Fact]
    public async Task NativeEngine_DrainedGateway_FollowsTheRedirectAndConnectsToThePeer()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        (GatewayInstance gateway, PeerGateway peer) = await StartDrainedWithPeerAsync();
        using (gateway)
        using (peer)
        {
            using var home = new TemporaryDirectory();
            gateway.Topology.CreateResolvConf(gateway.Topology.Client);
            using TrackedProcess connect = gateway.Topology.Start(gateway.Topology.Client, "dotnet",
                [ClientAssembly, "connect", "--engine", "native", "--token-file", gateway.TokenFile(gateway.MintToken("alice")), "--gateway", gateway.Url, "--servercert", "pin-sha256:" + gateway.Pin],
                environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path });
            await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(30));

            Assert.Contains($"sent the sign-in to {PeerGateway.Address}", connect.Output, StringComparison.Ordinal);
            gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
            Assert.Single((await SessionsAsync(peer))!.AsArray());
            Assert.Empty((await gateway.ControlAsync("sessions"))!.AsArray());
            connect.Signal(15);
            Assert.Equal(0, await connect.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
    }

    [Fact]
    public async Task OpenConnectEngine_DrainedGateway_OpenConnectFollowsTheRedirectToThePeer()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect");
        (GatewayInstance gateway, PeerGateway peer) = await StartDrainedWithPeerAsync();
        using (gateway)
        using (peer)
        {
            using var home = new TemporaryDirectory();
            string recorded = gateway.Directory.Subdirectory("env-client-redirect");
            using TrackedProcess connect = gateway.Topology.Start(gateway.Topology.Client, "dotnet",
                [ClientAssembly, "connect", "--engine", "openconnect", "--token-file", gateway.TokenFile(gateway.MintToken("bob")), "--gateway", gateway.Url, "--servercert", "pin-sha256:" + gateway.Pin,
                 "--script", OpenConnectClient.ScriptFile(gateway), "--", "--non-inter", "--interface", "otc8"],
                environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path, ["OT_ENV_DIR"] = recorded, ["OT_ROUTES"] = "0" });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(Path.Combine(recorded, "connect")))
            {
                Assert.True(DateTime.UtcNow < deadline, $"openconnect did not connect within 30 s:\n{connect.Output}");
                await Task.Delay(100);
            }

            Assert.Contains("INTERNAL_IP4_ADDRESS=198.18.129.", await File.ReadAllTextAsync(Path.Combine(recorded, "connect")), StringComparison.Ordinal);
            Assert.Single((await SessionsAsync(peer))!.AsArray());
            connect.Signal(15);
            Assert.Equal(0, await connect.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
    }

    /// <summary>A gateway with redirects on and the peer in its list, drained, and the peer.</summary>
    private static async Task<(GatewayInstance Gateway, PeerGateway Peer)> StartDrainedWithPeerAsync()
    {
        var gateway = await GatewayInstance.StartAsync(config => config["LoadBalancing"] = new JsonObject
        {
            ["Mode"] = "Redirect",
            ["Peers"] = new JsonArray(new JsonObject
            {
                ["Address"] = PeerGateway.Address, ["Sessions"] = 0, ["Healthy"] = true, ["ReportedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            }),
        });
        try
        {
            var peer = await PeerGateway.StartAsync(gateway);
            await gateway.ControlAsync(new JsonObject { ["command"] = "drain", ["enabled"] = true });
            return (gateway, peer);
        }
        catch
        {
            gateway.Dispose();
            throw;
        }
    }

    private static async Task<JsonNode?> SessionsAsync(PeerGateway peer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await ControlClient.SendAsync(peer.ControlSocket, new JsonObject { ["command"] = "sessions" }, timeout.Token);
    }
}
