using OpenTunnel.CommandLine;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// <c>opentunnel connect --gateway</c> (the native engine, the default) in the client namespace against a real gateway: the
/// client's own TUN device, routes and DNS. The namespace gets its own resolv.conf (which
/// <c>ip netns exec</c> mounts over /etc/resolv.conf), so the host's is never touched.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class NativeClientTests
{
    private static string ClientAssembly => SolutionOutput.Assembly("OpenTunnel.Client", "opentunnel.dll");

    [Fact]
    public async Task Connect_RefusesAnUnpinnedSelfSignedGateway_PingsThroughTheTunnel_SetsDns_SigtermDisconnects_AndKillNineIsRepairedByTheNextStart()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        NetworkTopology topology = gateway.Topology;
        string resolvConf = topology.CreateResolvConf(topology.Client);
        string original = File.ReadAllText(resolvConf);
        string tokenFile = gateway.TokenFile(gateway.MintToken("alice"));
        using var home = new TemporaryDirectory();

        // 0. Without --servercert the system's trust store decides: the gateway's self-signed certificate is refused, naming the pin that would accept it.
        using (TrackedProcess unpinned = gateway.Topology.Start(topology.Client, "dotnet", [ClientAssembly, "connect", "--token-file", tokenFile, "--gateway", gateway.Url],
            environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path }))
        {
            Assert.Equal(ExitCodes.Unavailable, await unpinned.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("was refused: self-signed certificate. If this is the right gateway, pin its key: --servercert pin-sha256:" + gateway.Pin, unpinned.Output, StringComparison.Ordinal);
            Assert.Empty((await gateway.ControlAsync("sessions"))!.AsArray());
        }

        // 1. Up, traffic through the tunnel only, DNS set; SIGTERM sends DISCONNECT and undoes everything.
        using (TrackedProcess first = await ConnectAsync(gateway, tokenFile, home))
        {
            topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
            string routes = topology.Exec(topology.Client, "ip", "route", "show").StandardOutput;
            Assert.Matches($"{NetworkTopology.CorpSubnet.Replace(".", "\\.", StringComparison.Ordinal)} dev opentun", routes);
            string managed = File.ReadAllText(resolvConf);
            Assert.Contains("nameserver 198.18.2.53\n", managed, StringComparison.Ordinal);
            Assert.Contains("search corp.opentunnel.test\n", managed, StringComparison.Ordinal);
            Assert.Single((await gateway.ControlAsync("sessions"))!.AsArray());

            first.Signal(15);
            int exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"connect exited with {exitCode} after SIGTERM.\n{first.Output}");
            Assert.Empty(await gateway.SessionsOnceEndedAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(original, File.ReadAllText(resolvConf));
            Assert.False(File.Exists(Path.Combine(home.Path, "tunnel.json")), "The state file outlived a clean stop.");
            Assert.False(topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "1", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).Succeeded, "The corp host is still reachable without a tunnel.");
        }

        // 2. kill -9 leaves resolv.conf and the state file; the next start repairs them first.
        using (TrackedProcess killed = await ConnectAsync(gateway, tokenFile, home))
        {
            killed.Signal(9);
            await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.NotEqual(original, File.ReadAllText(resolvConf));
            Assert.True(File.Exists(Path.Combine(home.Path, "tunnel.json")));
        }

        using TrackedProcess repaired = await ConnectAsync(gateway, tokenFile, home);
        Assert.Contains("Repaired what an earlier connect", repaired.Output, StringComparison.Ordinal);
        topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
        repaired.Signal(15);
        Assert.Equal(0, await repaired.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(original, File.ReadAllText(resolvConf));
    }

    /// <summary>Starts <c>connect --gateway</c> (the native engine is the default) in the client namespace and waits for its "Connected to" line.</summary>
    internal static async Task<TrackedProcess> ConnectAsync(GatewayInstance gateway, string tokenFile, TemporaryDirectory home)
    {
        TrackedProcess connect = gateway.Topology.Start(gateway.Topology.Client, "dotnet",
            [ClientAssembly, "connect", "--token-file", tokenFile, "--gateway", gateway.Url, "--servercert", "pin-sha256:" + gateway.Pin],
            environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path });
        try
        {
            // It measures nothing: under a load average of 70 the host's configuration (ip, resolv.conf) took more than 20 s.
            await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"opentunnel connect --engine native was not connected within 60 s.\n{connect.Output}\nThe gateway's log ends:\n{Tail(gateway.Process.Output)}", e);
        }

        return connect;
    }

    private static string Tail(string log) => log.Length <= 4000 ? log : log[^4000..];
}
