using System.Net.Http.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The kill switch of an always-on profile with lockdown, in the client namespace with the real
/// gateway and management service, with each engine (the native one's device, like openconnect's
/// here, is opentunnel0, which the table lets out): while <c>connect PROFILE</c> runs, the tunnel carries traffic and
/// the gateway is reachable, but a listener at another address of the public network (198.18.1.77,
/// in the gateway namespace) gets nothing; the user's stop removes the table; with the gateway
/// killed and then the client killed (kill -9) the table stays and still blocks, and
/// <c>opentunnel lockdown off</c> removes it.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LockdownTests
{
    private const string Bystander = "198.18.1.77";

    [Theory]
    [InlineData("native")]
    [InlineData("openconnect")]
    public async Task LockdownProfile_BlocksAllButTunnelAndGateway_SurvivesGatewayAndClientKill_OffRemovesTheTable(string engine)
    {
        Prerequisites.RequireRootAndCommands([.. (string[])["ip", "nft", "curl", "ping"], .. engine == "openconnect" ? ["openconnect"] : Array.Empty<string>()]);
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new
        {
            name = "office", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { group }, alwaysOn = true, lockdown = true,
        });
        Dictionary<string, string> environment = client.Environment;
        TemporaryDirectory home = client.Home;
        using (HttpResponseMessage refused = await stack.Management.Api.Http.PostAsJsonAsync("/api/v1/profiles", new
        {
            name = "half", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { client.Group }, lockdown = true,
        }))
        {
            Assert.Equal(400, (int)refused.StatusCode);
            Assert.Contains("needs alwaysOn", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        GatewayInstance gateway = stack.Gateway;
        NetworkTopology topology = gateway.Topology;
        Command.Run("ip", "-n", topology.Gateway, "addr", "add", Bystander + "/24", "dev", topology.GatewayPublicInterface).EnsureSuccess();
        using var bystander = SourceEchoServer.Start(topology.Gateway, Bystander);
        string bystanderUrl = $"http://{Bystander}:{bystander.Port}/";
        Assert.True(Curl(topology, bystanderUrl), "The listener at 198.18.1.77 cannot be reached even before lockdown.");
        using NamespaceRelay relay = NamespaceRelay.Start(topology.Client, stack.Management.ApiUrl.Port);
        string recorded = gateway.Directory.Subdirectory("env-client-lockdown");
        var connectEnvironment = new Dictionary<string, string>(environment) { ["OT_ENV_DIR"] = recorded, ["OT_ROUTES"] = "1" };
        string[] connectArguments = engine == "native"
            ? [ClientConnectTests.Client, "connect", "office", "--servercert", "pin-sha256:" + gateway.Pin]
            : [ClientConnectTests.Client, "connect", "office", "--engine", "openconnect", "--servercert", "pin-sha256:" + gateway.Pin,
               "--script", OpenConnectClient.ScriptFile(gateway), "--", "--non-inter"];
        // The native engine writes the namespace's resolv.conf (ip netns exec mounts it), never the host's.
        topology.CreateResolvConf(topology.Client);

        // 1. Connected: the tunnel and the gateway are reachable, the bystander is not; the user's stop removes the table.
        using (TrackedProcess connect = topology.Start(topology.Client, "dotnet", connectArguments, environment: connectEnvironment))
        {
            await WaitConnectedAsync(engine, recorded, connect);
            Assert.Contains("Lockdown is on (table inet opentunnel-lockdown)", connect.Output, StringComparison.Ordinal);
            Assert.True(LockdownTable(topology), "The lockdown table is not in the client namespace while connected.");
            Assert.Equal("opentunnel0", engine == "native"
                ? System.Text.RegularExpressions.Regex.Match(connect.Output, " on ([a-z0-9]+), MTU").Groups[1].Value
                : File.ReadAllLines(Path.Combine(recorded, "connect")).Single(l => l.StartsWith("TUNDEV=", StringComparison.Ordinal))["TUNDEV=".Length..]);
            topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "5", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(15)).EnsureSuccess();
            topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "5", NetworkTopology.GatewayPublicAddress], TimeSpan.FromSeconds(15)).EnsureSuccess();
            Assert.False(Curl(topology, bystanderUrl), "The bystander was reached while lockdown was on.");

            connect.Signal(15);
            int exitCode = await connect.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"opentunnel connect exited with {exitCode} after SIGTERM.\n{connect.Output}");
            Assert.Contains("Lockdown is off", connect.Output, StringComparison.Ordinal);
        }

        Assert.False(LockdownTable(topology), "The user's stop left the lockdown table behind.");
        Assert.False(File.Exists(Path.Combine(home.Path, "lockdown.nft")));
        Assert.True(Curl(topology, bystanderUrl), "The bystander cannot be reached after lockdown was turned off.");

        // 2. Connected again, then the gateway killed and the client killed: the table stays and still blocks.
        File.Delete(Path.Combine(recorded, "connect"));
        using TrackedProcess again = topology.Start(topology.Client, "dotnet", connectArguments, environment: connectEnvironment);
        await WaitConnectedAsync(engine, recorded, again);
        gateway.Process.Signal(9);
        await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.False(Curl(topology, bystanderUrl), "The bystander was reached with the gateway gone.");
        // The whole client: opentunnel and the openconnect it started (which would keep the output pipes open).
        int[] children = ChildProcesses(again.Id);
        again.Signal(9);
        foreach (int child in children)
        {
            _ = NativeSignals.Kill(child, 9);
        }

        await again.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(LockdownTable(topology), "Killing the client removed the lockdown table.");
        Assert.False(Curl(topology, bystanderUrl), "The bystander was reached after the client was killed.");
        string counted = topology.Exec(topology.Client, "nft", "list", "table", "inet", "opentunnel-lockdown").StandardOutput;
        Assert.Matches("counter packets [1-9][0-9]* bytes [0-9]+ drop", counted);

        // 3. lockdown off removes exactly that table.
        CommandResult off = Command.Run("ip", ["netns", "exec", topology.Client, "dotnet", ClientConnectTests.Client, "lockdown", "off"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.True(off.Succeeded, $"lockdown off exited with {off.ExitCode}: {off.StandardError}");
        Assert.Contains("Lockdown is off: table inet opentunnel-lockdown deleted.", off.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("opentunnel-lockdown", topology.Exec(topology.Client, "nft", "list", "tables").StandardOutput, StringComparison.Ordinal);
        Assert.True(Curl(topology, bystanderUrl), "The bystander cannot be reached after 'lockdown off'.");
    }

    /// <summary>Waits for the tunnel: openconnect's script run with reason=connect, or the native engine's "Connected to".</summary>
    internal static async Task WaitConnectedAsync(string engine, string recorded, TrackedProcess connect)
    {
        if (engine == "native")
        {
            await connect.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(90));
        }
        else
        {
            await ClientConnectTests.WaitForFileAsync(Path.Combine(recorded, "connect"), connect);
        }
    }

    /// <summary>The processes <paramref name="pid"/> started (any of its threads may have forked them).</summary>
    private static int[] ChildProcesses(int pid) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(child => int.Parse(child, System.Globalization.CultureInfo.InvariantCulture))];

    internal static bool LockdownTable(NetworkTopology topology) =>
        topology.Exec(topology.Client, "nft", "list", "tables").StandardOutput.Contains("table inet opentunnel-lockdown", StringComparison.Ordinal);

    private static bool Curl(NetworkTopology topology, string url) =>
        topology.Exec(topology.Client, "curl", ["-sS", "--max-time", "5", url], TimeSpan.FromSeconds(20)).Succeeded;
}
