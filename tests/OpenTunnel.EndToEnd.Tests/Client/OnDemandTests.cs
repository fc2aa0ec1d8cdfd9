using System.Net;
using OpenTunnel.EndToEnd.Tests.Agent;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// <c>opentunnel on-demand run</c> in the client namespace with the real gateway and management
/// service (the fixtures of <see cref="AlwaysOnTests"/>): the namespace's own resolv.conf (which
/// <c>ip netns exec</c> mounts over /etc/resolv.conf; the host's is never touched) names the
/// "network's" resolver, a <see cref="DnsResponder"/> at the client's address; the tunnel's DNS
/// server is another at 198.18.2.53 in the corp namespace. A name of the profile's connect rule
/// brings the native engine's tunnel up and resolves through it (the corp server sees the query
/// from the gateway) and a ping by that name passes; the idle time takes the tunnel down; a new
/// resolv.conf with a trusted DNS suffix (as a DHCP client writes on another network) makes the
/// same name resolve through the network's resolver with no tunnel; disable ends the run and
/// resolv.conf comes back byte for byte.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class OnDemandTests
{
    private const string InternalName = "intranet.corp.opentunnel.test";
    private const int IdleSeconds = 15;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task OnDemandRun_NameOfAConnectRuleBringsTheTunnelUp_IdleTakesItDown_TrustedNetworkConnectsNothing()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping", "getent");
        using AgentStack stack = await AgentStack.StartAsync(ContinuousAccessTests.TrustTheProviderAsync);
        using SignedInClient client = await SignedInClient.StartAsync(stack, group => new
        {
            name = "office",
            siteId = stack.Site,
            platform = "linux",
            assignedGroupIds = new[] { group },
            onDemandRules = new[]
            {
                new { match = "domains", values = new[] { "corp.opentunnel.test" }, action = "connect" },
                new { match = "ipRanges", values = new[] { NetworkTopology.CorpSubnet }, action = "connect" },
            },
            trustedNetwork = new { dnsSuffixes = new[] { "office.opentunnel.test" } },
            onDemandIdleSeconds = IdleSeconds,
        });
        await stack.Management.Api.PostAsync("/api/v1/profiles", new { name = "plain", siteId = stack.Site, platform = "linux", assignedGroupIds = new[] { client.Group } });
        Dictionary<string, string> environment = client.Environment;
        GatewayInstance gateway = stack.Gateway;
        NetworkTopology topology = gateway.Topology;

        // The corp network's DNS server (the site's configuration announces 198.18.2.53) and the client network's own.
        Command.Run("ip", "-n", topology.Corp, "addr", "add", "198.18.2.53/24", "dev", topology.Prefix + "n0").EnsureSuccess();
        using var corpDns = DnsResponder.Start(topology.Corp, "198.18.2.53", new Dictionary<string, IPAddress> { [InternalName] = IPAddress.Parse(NetworkTopology.CorpAddress) });
        using var networkDns = DnsResponder.Start(topology.Client, NetworkTopology.ClientAddress, new Dictionary<string, IPAddress> { [InternalName] = IPAddress.Parse(NetworkTopology.GatewayPublicAddress) });
        string resolvConf = topology.CreateResolvConf(topology.Client);
        string homeNetwork = $"# the home network\nnameserver {NetworkTopology.ClientAddress}\nsearch home.opentunnel.test\n";
        await File.WriteAllTextAsync(resolvConf, homeNetwork);

        CommandResult nothingToDo = OnDemand(environment, "enable", "--profile", "plain");
        Assert.Equal(78, nothingToDo.ExitCode);
        Assert.Contains("Profile plain has no on-demand rule to act on", nothingToDo.StandardError, StringComparison.Ordinal);
        CommandResult enabled = OnDemand(environment, "enable", "--profile", "office", "--servercert", "pin-sha256:" + gateway.Pin);
        Assert.True(enabled.Succeeded, enabled.StandardOutput + enabled.StandardError);

        using NamespaceRelay relay = NamespaceRelay.Start(topology.Client, stack.Management.ApiUrl.Port);
        using TrackedProcess run = topology.Start(topology.Client, "dotnet", [ClientConnectTests.Client, "on-demand", "run"], environment: environment);
        await run.WaitForOutputAsync("On-demand: the DNS stub answers on 127.0.0.153:53 for profile office", Generous);
        Assert.Contains("the network is not trusted", run.Output, StringComparison.Ordinal);
        Assert.StartsWith("# Written by opentunnel on-demand", File.ReadAllText(resolvConf), StringComparison.Ordinal);
        Assert.Contains("nameserver 127.0.0.153\nsearch home.opentunnel.test\n", File.ReadAllText(resolvConf), StringComparison.Ordinal);
        Assert.Contains($"Running: process {run.Id}", OnDemand(environment, "status").StandardOutput, StringComparison.Ordinal);

        // 1. A name outside the rules goes to the network's resolver, and no tunnel comes up.
        Assert.False(topology.Exec(topology.Client, "getent", ["ahostsv4", "www.home.opentunnel.test"], TimeSpan.FromSeconds(30)).Succeeded);
        Assert.Contains(networkDns.Questions, q => q.Name == "www.home.opentunnel.test");
        Assert.DoesNotContain("bringing the tunnel up", run.Output, StringComparison.Ordinal);

        // 2. The connect rule's name: the tunnel comes up, the name resolves through the tunnel's DNS, a ping by name passes.
        string resolved = await ResolveAsync(topology, InternalName, run);
        Assert.StartsWith(NetworkTopology.CorpAddress, resolved, StringComparison.Ordinal);
        Assert.Contains($"On-demand: {InternalName} matches a connect rule: bringing the tunnel up", run.Output, StringComparison.Ordinal);
        Assert.Contains("On-demand: the tunnel is up", run.Output, StringComparison.Ordinal);
        Assert.Contains(corpDns.Questions, q => q.Name == InternalName && q.From.ToString() == NetworkTopology.GatewayCorpAddress);
        CommandResult ping = topology.Exec(topology.Client, "ping", ["-c", "1", "-W", "5", InternalName], TimeSpan.FromSeconds(60));
        Assert.True(ping.Succeeded, $"No ping by name through the on-demand tunnel.\n{ping.StandardOutput}{ping.StandardError}\n{run.Output}");
        Assert.Contains("the tunnel to", OnDemand(environment, "status").StandardOutput, StringComparison.Ordinal);
        Assert.Contains("is up", OnDemand(environment, "status").StandardOutput, StringComparison.Ordinal);

        // 3. No traffic for the profile's idle time: the tunnel goes, the corp host is out of reach again.
        await run.WaitForOutputAsync($"no traffic through the tunnel for {IdleSeconds} s: taking the tunnel down", Generous);
        await run.WaitForOutputAsync("On-demand: the tunnel is down.", Generous);
        Assert.Empty(await gateway.SessionsOnceEndedAsync(TimeSpan.FromSeconds(10)));

        // 4. Traffic to the connect rule's range brings it up again: the first ping goes to the trap, a later one through the tunnel.
        Assert.True(await AlwaysOnTests.PingsAsync(topology), $"No ping to the corp range through the on-demand tunnel.\n{run.Output}");
        Assert.Contains($"On-demand: traffic to {NetworkTopology.CorpAddress} matches a connect rule: bringing the tunnel up", run.Output, StringComparison.Ordinal);

        // 5. Another network, with a trusted DNS suffix, writes its resolv.conf: the tunnel goes, the same name resolves
        //    through that network's resolver, and neither it nor traffic to the range brings the tunnel back.
        string officeNetwork = $"# the office network\nnameserver {NetworkTopology.ClientAddress}\nsearch office.opentunnel.test\n";
        await File.WriteAllTextAsync(resolvConf, officeNetwork);
        await run.WaitForOutputAsync("the network is trusted (its DNS suffix office.opentunnel.test is a trusted one); nothing connects.", Generous);
        await run.WaitForOutputAsync("On-demand: the network is trusted: taking the tunnel down.", Generous);
        int connects = Count(run.Output, "bringing the tunnel up");
        string trusted = await ResolveAsync(topology, InternalName, run);
        Assert.StartsWith(NetworkTopology.GatewayPublicAddress, trusted, StringComparison.Ordinal);
        Assert.Equal(connects, Count(run.Output, "bringing the tunnel up"));
        Assert.False(topology.Exec(topology.Client, "ping", ["-c", "2", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(20)).Succeeded, "The corp host is reachable on a trusted network.");
        Assert.Equal(connects, Count(run.Output, "bringing the tunnel up"));
        Assert.DoesNotContain("opentun", topology.Exec(topology.Client, "ip", "link", "show").StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("opentrap", topology.Exec(topology.Client, "ip", "link", "show").StandardOutput, StringComparison.Ordinal);
        Assert.Contains("nameserver 127.0.0.153\nsearch office.opentunnel.test\n", File.ReadAllText(resolvConf), StringComparison.Ordinal);

        // 6. disable: the run stops and the network's resolv.conf comes back byte for byte.
        CommandResult disabled = OnDemand(environment, "disable");
        Assert.Contains($"process {run.Id}", disabled.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(officeNetwork, File.ReadAllText(resolvConf));
        Assert.False(File.Exists(Path.Combine(client.Home.Path, "on-demand-dns.json")), "The stub's state file outlived a clean stop.");
        Assert.Contains("On-demand is not enabled.", OnDemand(environment, "status").StandardOutput, StringComparison.Ordinal);
    }

    private static CommandResult OnDemand(Dictionary<string, string> environment, params string[] args) =>
        Command.Run("dotnet", [ClientConnectTests.Client, "on-demand", .. args], TimeSpan.FromSeconds(60), environment: environment);

    /// <summary>getent in the client namespace until the name resolves: glibc gives up after two 5 s tries, while the tunnel may take longer to come up on a loaded machine.</summary>
    private static async Task<string> ResolveAsync(NetworkTopology topology, string name, TrackedProcess run)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < Generous)
        {
            Assert.False(run.HasExited, $"on-demand run ended.\n{run.Output}");
            CommandResult result = topology.Exec(topology.Client, "getent", ["ahostsv4", name], TimeSpan.FromSeconds(30));
            if (result.Succeeded)
            {
                return result.StandardOutput;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{name} did not resolve within {Generous.TotalSeconds:0} s.\n{run.Output}");
        return string.Empty;
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
