using System.Diagnostics;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// The management service, a gateway and its agent as real processes, with Debian's openconnect:
/// enrolment, a configuration change reaching new sessions within 5 seconds, a configuration the
/// gateway refuses, and an outage of the management service.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AgentEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChangeLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Agent_Enrols_DnsChangeReachesNewSessionsWithin5Seconds_RefusedChangeKeepsTheOldOne()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, string configuration, string server) = (stack.Gateway, stack.Management, stack.Configuration, stack.Server);
        Assert.Equal("gw-e2e", stack.Online.GetProperty("name").GetString());
        using OpenConnectClient before = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otc0");
        Assert.Equal("198.18.2.53", before.Environment()["INTERNAL_IP4_DNS"]);

        var clock = Stopwatch.StartNew();
        await management.Api.PutAsync($"/api/v1/configurations/{configuration}", Configuration(["198.18.2.54"]));
        JsonElement applied = await management.Api.WaitForAsync($"/api/v1/servers/{server}/health", Applied, ChangeLimit, "the DNS change is applied by the gateway");
        TimeSpan untilApplied = clock.Elapsed;

        // The session starts within the 5 s; how long openconnect then takes to connect is its own time.
        using OpenConnectClient after = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("bob")), "otc1");

        Assert.True(untilApplied < ChangeLimit, $"From the change to the gateway running it took {AgentProcess.Seconds(untilApplied)} s.");
        Assert.Equal("198.18.2.54", after.Environment()["INTERNAL_IP4_DNS"]);
        Assert.False(before.Process.HasExited, "The session from before the change ended:\n" + before.Process.Output);
        Assert.Contains("198.18.2.54", await File.ReadAllTextAsync(gateway.ConfigFile), StringComparison.Ordinal);
        Assert.Null(applied.GetProperty("configuration").GetProperty("refusedETag").GetString());

        // Four DNS servers: the management service takes up to 8, the gateway's clients at most 3.
        await management.Api.PutAsync($"/api/v1/configurations/{configuration}", Configuration(["198.18.2.55", "198.18.2.56", "198.18.2.57", "198.18.2.58"]));
        JsonElement refused = await management.Api.WaitForAsync($"/api/v1/servers/{server}/health",
            h => h.GetProperty("configuration").GetProperty("refusedETag").GetString() == h.GetProperty("configuration").GetProperty("expectedETag").GetString(),
            TimeSpan.FromSeconds(10), "the gateway's refusal is reported");
        using OpenConnectClient third = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("carol")), "otc2");

        Assert.Contains("at most 3", refused.GetProperty("configuration").GetProperty("refusalReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("warning", refused.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "configuration").GetProperty("state").GetString());
        Assert.Contains(refused.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("refused configuration", StringComparison.Ordinal));
        Assert.Equal(applied.GetProperty("configuration").GetProperty("appliedETag").GetString(), refused.GetProperty("configuration").GetProperty("appliedETag").GetString());
        Assert.Equal("198.18.2.54", third.Environment()["INTERNAL_IP4_DNS"]);
        Assert.DoesNotContain("198.18.2.55", await File.ReadAllTextAsync(gateway.ConfigFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManagementOutage_TunnelsKeepWorking_NewClientsConnect_AndEveryTelemetrySampleArrivesOnceInOrder()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, TrackedProcess agent, string server) = (stack.Gateway, stack.Management, stack.Agent, stack.Server);
        using OpenConnectClient before = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otc0");
        string issuedBefore = gateway.TokenFile(gateway.MintToken("bob"));

        // The outage is short (about 20 s) because nothing here depends on its length: the gateway
        // never asks the management service at sign-in (tokens are checked against the keys it
        // holds), and the agent queues one sample per interval on disk (QueueCapacity bounds it, and
        // the queue's unit tests cover that bound); a longer outage only queues more samples.
        await management.StopAsync();
        DateTime stoppedAt = DateTime.UtcNow;
        var signIn = Stopwatch.StartNew();
        using OpenConnectClient during = await OpenConnectClient.ConnectWithTokenAsync(gateway, issuedBefore, "otc1");
        TimeSpan signInDuringOutage = signIn.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(15));
        Assert.False(before.Process.HasExited, "A session ended while the management service was down:\n" + before.Process.Output);
        Assert.False(during.Process.HasExited, "The session made during the outage ended:\n" + during.Process.Output);
        Assert.Equal("198.18.2.53", during.Environment()["INTERNAL_IP4_DNS"]);
        DateTime restartedAt = DateTime.UtcNow;
        await management.RestartAsync();

        JsonElement series = await management.Api.WaitForAsync($"/api/v1/servers/{server}/telemetry?limit=10000",
            s => s.EnumerateArray().Any(x => x.GetProperty("at").GetDateTime() > restartedAt), TimeSpan.FromSeconds(20), "telemetry after the restart arrives");
        long[] sequences = [.. series.EnumerateArray().Select(x => x.GetProperty("sequence").GetInt64())];
        DateTime[] times = [.. series.EnumerateArray().Select(x => x.GetProperty("at").GetDateTime())];
        int duringOutage = times.Count(t => t > stoppedAt && t < restartedAt);

        Assert.Equal(Enumerable.Range(1, sequences.Length).Select(i => (long)i), sequences);
        Assert.Equal(times.Order(), times);
        Assert.True(duringOutage >= 4, $"Only {duringOutage} samples from the {AgentProcess.Seconds(restartedAt - stoppedAt)} s outage arrived.");
        Assert.Contains("Telemetry stays queued on disk", agent.Output, StringComparison.Ordinal);
        output.WriteLine($"Outage {AgentProcess.Seconds(restartedAt - stoppedAt)} s; sign-in during it until the tunnel was up {AgentProcess.Seconds(signInDuringOutage)} s; "
            + $"{duringOutage} samples from the outage and {sequences.Length} in all arrived once, in order, {AgentProcess.Seconds(DateTime.UtcNow - restartedAt)} s after the restart began");
    }

    [Fact]
    public async Task Drain_RefusesNewSessionsAndKeepsTheOldOne_AndRevokeSessionsEndsAUsersSession()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, string server) = (stack.Gateway, stack.Management, stack.Server);
        using OpenConnectClient alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otc0");

        await management.Api.PutAsync($"/api/v1/servers/{server}", new { name = "gw-e2e", drain = true });
        await management.Api.WaitForAsync($"/api/v1/servers/{server}/health",
            h => h.GetProperty("latest").GetProperty("draining").GetBoolean(), TimeSpan.FromSeconds(10), "telemetry reports the drain");
        CommandResult refused = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("bob")));

        Assert.NotEqual(0, refused.ExitCode);
        Assert.True((await gateway.ControlAsync("status"))!["draining"]!.GetValue<bool>());
        Assert.False(alice.Process.HasExited, "The session from before the drain ended:\n" + alice.Process.Output);

        JsonElement command = await management.Api.PostAsync($"/api/v1/servers/{server}/commands", new { kind = "revokeSessions", target = "alice" });
        JsonElement done = await management.Api.WaitForAsync($"/api/v1/servers/{server}/commands/{command.GetProperty("id").GetString()}",
            c => c.GetProperty("state").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(10), "the agent reports the command's result");
        await alice.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Contains("1 session(s) of 'alice'", done.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Empty((await gateway.ControlAsync("sessions"))!.AsArray());
    }

    [Fact]
    public async Task SiteIpv6Range_ReachesTheGatewaysFile_AndWaitsForARestart()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, string configuration, string server) = (stack.Gateway, stack.Management, stack.Configuration, stack.Server);
        const string Pool6 = "2001:db8:129::/64";

        await management.Api.PutAsync($"/api/v1/configurations/{configuration}", Configuration(["198.18.2.53"], Pool6));
        JsonElement applied = await management.Api.WaitForAsync($"/api/v1/servers/{server}/health", Applied, TimeSpan.FromSeconds(10), "the IPv6 range is applied");

        // The running gateway keeps its pools until a restart; the file has the new one for the next start.
        Assert.Contains($"Network:IPv6Pool {GatewayInstance.Pool6} → {Pool6}", applied.GetProperty("configuration").GetProperty("appliedNote").GetString(), StringComparison.Ordinal);
        Assert.Contains(Pool6, await File.ReadAllTextAsync(gateway.ConfigFile), StringComparison.Ordinal);
        Assert.Equal(GatewayInstance.Pool6, (await gateway.ControlAsync("status"))!["pool6"]!.GetValue<string>());
    }

    internal static bool Applied(JsonElement health)
    {
        JsonElement configuration = health.GetProperty("configuration");
        return configuration.GetProperty("appliedETag").GetString() == configuration.GetProperty("expectedETag").GetString();
    }

    /// <summary>The site's configuration: the gateway's pool, port and corp route, with <paramref name="dns"/> and <paramref name="ipv6Range"/>.</summary>
    internal static object Configuration(string[] dns, string? ipv6Range = null) => new
    {
        name = "e2e",
        ipv4Range = GatewayInstance.Pool,
        ipv6Range,
        port = GatewayInstance.Port,
        dnsServers = dns,
        dnsSuffixes = new[] { "corp.opentunnel.test" },
        includeRoutes = new[] { NetworkTopology.CorpSubnet },
        idleTimeoutMinutes = 20,
    };
}
