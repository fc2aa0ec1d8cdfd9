using System.Globalization;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// The agent's data directory on a full disk (docs/reliability.md, "Disk full"): the real agent runs
/// in a mount namespace of its own (<c>unshare -m</c>) whose data directory is a 2 MiB tmpfs (it
/// enrols into it), beside a real gateway and management service. With the service stopped the
/// telemetry queue has to hold the samples; the test fills the tmpfs from inside that namespace
/// (never the real disk, nothing mounted in the root namespace), frees it again and starts the
/// service: the agent keeps running, says once that it cannot write its queue, and every sample
/// arrives once and in order.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AgentDiskFullTests(ITestOutputHelper output)
{
    /// <summary>Runs the agent with its data directory (OPENTUNNEL_AGENT_DATADIRECTORY) on a fresh 2 MiB tmpfs.</summary>
    private const string OnSmallTmpfs = """
        set -e
        mount -t tmpfs -o size=2m,mode=0700 opentunnel-test "$OPENTUNNEL_AGENT_DATADIRECTORY"
        exec "$@"
        """;

    [Fact]
    public async Task DataDirectoryFullWhileTheServiceIsDown_TheAgentKeepsSamplesInMemoryAndLogsOnce_AndDeliversEveryOneInOrderWhenSpaceAndServiceAreBack()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "unshare", "nsenter", "mount");
        using AgentStack stack = await AgentStack.StartAsync(agentLauncher: ["unshare", "-m", "--propagation", "private", "sh", "-c", OnSmallTmpfs, "sh"]);
        (ManagementProcess management, TrackedProcess agent, string server) = (stack.Management, stack.Agent, stack.Server);
        Assert.Contains("opentunnel-test", InAgentMounts(agent, "cat", "/proc/self/mounts"), StringComparison.Ordinal);
        string data = InAgentMounts(agent, "awk", "$1 == \"opentunnel-test\" { print $2 }", "/proc/self/mounts").Trim();

        await management.StopAsync();
        DateTime stoppedAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Fill the tmpfs: dd stops at ENOSPC.
        InAgentMounts(agent, "sh", "-c", $"dd if=/dev/zero of='{data}/fill' bs=64k 2>&1 || true");
        DateTime filledAt = DateTime.UtcNow;
        Assert.Contains(" 0 ", InAgentMounts(agent, "sh", "-c", $"df -k '{data}' | tail -1"), StringComparison.Ordinal);
        await agent.WaitForOutputAsync("Cannot write the queue in", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.False(agent.HasExited, agent.Output);
        Assert.Equal(1, Count(agent.Output, "Cannot write the queue in"));
        Assert.DoesNotContain("Unhandled exception", agent.Output, StringComparison.Ordinal);

        // Space back: the next sample writes the queue again, those held in memory with it.
        InAgentMounts(agent, "rm", $"{data}/fill");
        DateTime freedAt = DateTime.UtcNow;
        await agent.WaitForOutputAsync("is written again", TimeSpan.FromSeconds(30));
        int onDisk = InAgentMounts(agent, "ls", $"{data}/telemetry").Split('\n').Count(l => l.EndsWith(".json", StringComparison.Ordinal));
        DateTime restartedAt = DateTime.UtcNow;
        await management.RestartAsync();

        JsonElement series = await management.Api.WaitForAsync($"/api/v1/servers/{server}/telemetry?limit=10000",
            s => s.EnumerateArray().Any(x => x.GetProperty("at").GetDateTime() > restartedAt), TimeSpan.FromSeconds(60), "telemetry after the restart arrives");
        long[] sequences = [.. series.EnumerateArray().Select(x => x.GetProperty("sequence").GetInt64())];
        DateTime[] times = [.. series.EnumerateArray().Select(x => x.GetProperty("at").GetDateTime())];
        int whileFull = times.Count(t => t > filledAt && t < freedAt);

        Assert.Equal(Enumerable.Range(1, sequences.Length).Select(i => (long)i), sequences);
        Assert.Equal(times.Order(), times);
        Assert.True(whileFull >= 5, $"Only {whileFull} samples taken while the disk was full ({AgentProcess.Seconds(freedAt - filledAt)} s) arrived.");
        Assert.False(agent.HasExited, agent.Output);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"service down {AgentProcess.Seconds(restartedAt - stoppedAt)} s, disk full {AgentProcess.Seconds(freedAt - filledAt)} s; {whileFull} samples taken while full, "
            + $"{onDisk} files in the queue after space returned, {sequences.Length} samples in all arrived once, in order, {AgentProcess.Seconds(DateTime.UtcNow - restartedAt)} s after the restart began"));
        output.WriteLine(string.Join('\n', agent.Output.Split('\n').Where(l => l.Contains("queue", StringComparison.OrdinalIgnoreCase))));
    }

    private static int Count(string text, string part) => GatewayDiskFullTests.Count(text, part);

    private static string InAgentMounts(TrackedProcess agent, params string[] command) => GatewayDiskFullTests.InMountsOf(agent, command);
}
