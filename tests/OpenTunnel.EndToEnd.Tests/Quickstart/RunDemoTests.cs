using System.Diagnostics;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Quickstart;

/// <summary>
/// <c>./run.sh --demo</c> itself, as a newcomer runs it, but inside the gateway namespace of a
/// throw-away topology, which stands for "this machine": what run.sh does to its machine (the
/// gateway's nftables table and IP forwarding, the demo's veth ends and their routes) stays in
/// that namespace, and its ports cannot meet another run's. Its data directories are the test's
/// (run.sh's environment variables), never /var/lib/opentunnel. The topology's own client and
/// corp namespaces are not used: the demo makes its own.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RunDemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunShDemo_ReachesTheInternalHost_AndLeavesNoNamespaceVethOrProcess()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "ping", "curl");
        using NetworkTopology topology = NetworkTopology.Create();
        using var data = new TemporaryDirectory();
        string machine = topology.Gateway;
        string demoPrefix = topology.Prefix + "d";
        var environment = new Dictionary<string, string>
        {
            ["OPENTUNNEL_MANAGEMENT_DATA"] = data.Subdirectory("management"),
            ["GATEWAY_DATA"] = data.Subdirectory("gateway"),
            ["AGENT_DATA"] = data.Subdirectory("agent"),
            ["OPENTUNNEL_DEMO_PREFIX"] = demoPrefix,
        };

        var clock = Stopwatch.StartNew();
        using TrackedProcess run = topology.Start(machine, "bash", [Path.Combine(Checkout.Root(), "run.sh"), "--demo"], environment: environment);
        try
        {
            await run.WaitForOutputAsync("the stack keeps running (Ctrl-C stops it)", TimeSpan.FromSeconds(110));
        }
        finally
        {
            output.WriteLine($"after {clock.Elapsed.TotalSeconds:0} s:\n{run.Output}");
        }

        Assert.Contains("Reached the internal host 198.18.101.2 through the gateway as user demo.", run.Output, StringComparison.Ordinal);
        Assert.Empty(NetworkTopology.ListNamespaces(demoPrefix));
        string links = topology.Exec(machine, "ip", "-o", "link", "show").EnsureSuccess().StandardOutput;
        Assert.DoesNotContain(demoPrefix, links, StringComparison.Ordinal);
        string[] managementFiles = Directory.GetFiles(environment["OPENTUNNEL_MANAGEMENT_DATA"]);
        Assert.Contains(managementFiles, file => Path.GetFileName(file) == "admin-password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(environment["OPENTUNNEL_MANAGEMENT_DATA"], "admin-password")));

        // Ctrl-C: run.sh stops the gateway, the agent and the management service by their PIDs.
        run.Signal(2);
        int exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"run.sh exited with {exitCode} after {clock.Elapsed.TotalSeconds:0} s");
        Assert.Empty(NetworkTopology.ProcessIds(machine));
        Assert.Empty(NetworkTopology.ListNamespaces(demoPrefix));
        Assert.DoesNotContain("table", topology.Exec(machine, "nft", "list", "tables").EnsureSuccess().StandardOutput, StringComparison.Ordinal);
    }
}
