using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// <c>opentunnel always-on run</c>, the mode deploy/systemd/opentunnel-client.service starts, run
/// directly in the client namespace (systemd is not PID 1 on the test machines) with the real
/// gateway and management service, with each engine: the always-on profile with lockdown connects; the gateway stopped
/// (TERMINATE to the client) and kept down until the client has failed more tries than
/// <c>connect</c> would make (openconnect: new sign-ins; the native engine: reconnects, which for
/// always-on have no time limit), then started again, brings the tunnel back without anyone acting,
/// with lockdown on all along; a gateway killed and restarted at once too; <c>always-on disable</c>
/// ends the mode and lockdown.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AlwaysOnTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("native")]
    [InlineData("openconnect")]
    public async Task AlwaysOnRun_ReconnectsAfterTheGatewayStopsAndAfterItIsKilled_KeepsLockdown_DisableStopsIt(string engine)
    {
        Prerequisites.RequireRootAndCommands([.. (string[])["ip", "nft", "ping"], .. engine == "openconnect" ? ["openconnect"] : Array.Empty<string>()]);
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new
        {
            name = "office", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { group }, alwaysOn = true, lockdown = true,
        });
        await stack.Management.Api.PostAsync("/api/v1/profiles", new { name = "plain", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { client.Group } });
        Dictionary<string, string> environment = client.Environment;
        GatewayInstance gateway = stack.Gateway;
        NetworkTopology topology = gateway.Topology;

        CommandResult notAlwaysOn = AlwaysOn(environment, "enable", "--profile", "plain");
        Assert.Equal(78, notAlwaysOn.ExitCode);
        Assert.Contains("Profile plain is not always-on", notAlwaysOn.StandardError, StringComparison.Ordinal);
        CommandResult notEnabled = Command.Run("dotnet", [ClientConnectTests.Client, "always-on", "run"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.Equal(78, notEnabled.ExitCode);
        Assert.Contains("Always-on is not enabled", notEnabled.StandardError, StringComparison.Ordinal);

        string recorded = gateway.Directory.Subdirectory("env-client-always-on");
        string connected = Path.Combine(recorded, "connect");
        CommandResult enabled = engine == "native"
            ? AlwaysOn(environment, "enable", "--profile", "office", "--servercert", "pin-sha256:" + gateway.Pin)
            : AlwaysOn(environment, "enable", "--profile", "office", "--engine", "openconnect", "--servercert", "pin-sha256:" + gateway.Pin,
                "--script", OpenConnectClient.ScriptFile(gateway), "--", "--non-inter");
        Assert.True(enabled.Succeeded, enabled.StandardOutput + enabled.StandardError);
        Assert.Contains($"Always-on is enabled for profile office (with lockdown), with {(engine == "native" ? "the native engine" : "openconnect")}", enabled.StandardOutput, StringComparison.Ordinal);
        // The native engine writes the namespace's resolv.conf (ip netns exec mounts it), never the host's.
        topology.CreateResolvConf(topology.Client);

        using NamespaceRelay relay = NamespaceRelay.Start(topology.Client, stack.Management.ApiUrl.Port);
        var runEnvironment = new Dictionary<string, string>(environment) { ["OT_ENV_DIR"] = recorded, ["OT_ROUTES"] = "1" };
        using TrackedProcess run = topology.Start(topology.Client, "dotnet", [ClientConnectTests.Client, "always-on", "run"], environment: runEnvironment);
        try
        {
            // 1. Connected by itself.
            await WaitConnectedAsync(engine, connected, run, "Connected to");
            await run.WaitForOutputAsync("Always-on: the tunnel is up (opentunnel0).", Generous);
            Assert.Contains("Lockdown is on", run.Output, StringComparison.Ordinal);
            Assert.True(await PingsAsync(topology), $"No ping through the always-on tunnel.\n{run.Output}");
            string status = AlwaysOn(environment, "status").StandardOutput;
            Assert.Contains("Always-on is enabled for profile office", status, StringComparison.Ordinal);
            Assert.Contains($"Running: process {run.Id}", status, StringComparison.Ordinal);
            Assert.Contains("Lockdown: on", status, StringComparison.Ordinal);

            // 2. The gateway stops (TERMINATE) and stays down while the client fails four tries in a row
            //    (connect gives up after three); lockdown stays; the gateway comes back, so does the tunnel.
            File.Delete(connected);
            await gateway.StopAsync();
            if (engine == "native")
            {
                // The device, its routes and DNS stay while the engine reconnects.
                await run.WaitForOutputAsync("Reconnect attempt 4 to", Generous);
                Assert.Contains("reconnecting with the session cookie (until the gateway answers)", run.Output, StringComparison.Ordinal);
            }
            else
            {
                await run.WaitForOutputAsync("(try 5; lockdown stays on)", Generous);
                Assert.Contains("Always-on: the tunnel is down", run.Output, StringComparison.Ordinal);
            }

            Assert.True(LockdownTests.LockdownTable(topology), "The lockdown table went while always-on reconnected.");
            Assert.False(run.HasExited, run.Output);
            await gateway.StartAgainAsync();
            await WaitConnectedAsync(engine, connected, run, "Reconnected to");
            Assert.True(await PingsAsync(topology), $"No ping after the gateway came back.\n{run.Output}");

            // 3. The gateway killed and restarted at once: the tunnel comes back (openconnect's reconnect or a new sign-in).
            await gateway.KillAndRestartAsync();
            Assert.True(await PingsAsync(topology), $"No ping after the gateway was killed and restarted.\n{run.Output}");
            Assert.True(LockdownTests.LockdownTable(topology), "The lockdown table went after the gateway was killed.");

            // 4. disable: the run ends as a stop does, and lockdown with it.
            CommandResult disabled = AlwaysOn(environment, "disable");
            Assert.Contains($"process {run.Id}", disabled.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Lockdown is off", run.Output, StringComparison.Ordinal);
            Assert.False(LockdownTests.LockdownTable(topology), "always-on disable left the lockdown table.");
            Assert.Contains("Always-on is not enabled.", AlwaysOn(environment, "status").StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            if (LockdownTests.LockdownTable(topology))
            {
                topology.Exec(topology.Client, "nft", "delete", "table", "inet", "opentunnel-lockdown");
            }
        }
    }

    private static CommandResult AlwaysOn(Dictionary<string, string> environment, params string[] args) =>
        Command.Run("dotnet", [ClientConnectTests.Client, "always-on", .. args], TimeSpan.FromSeconds(60), environment: environment);

    /// <summary>
    /// Waits generously (a loaded machine and the always-on pauses) for openconnect's script to run
    /// with reason=connect (a new connection), or for the native engine's <paramref name="line"/>.
    /// </summary>
    private static async Task WaitConnectedAsync(string engine, string file, TrackedProcess run, string line)
    {
        if (engine == "native")
        {
            await run.WaitForOutputAsync(line, Generous);
            return;
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(file) && waited.Elapsed < Generous)
        {
            Assert.False(run.HasExited, $"always-on run ended.\n{run.Output}");
            await Task.Delay(200);
        }

        Assert.True(File.Exists(file), $"openconnect did not connect within {Generous.TotalSeconds:0} s.\n{run.Output}");
    }

    /// <summary>Whether the corp host answers a ping through the tunnel within the generous wait.</summary>
    internal static async Task<bool> PingsAsync(NetworkTopology topology)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < Generous)
        {
            if (topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).Succeeded)
            {
                return true;
            }

            await Task.Delay(500);
        }

        return false;
    }
}
