using System.Diagnostics;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// The access log end to end: a real gateway, its agent and the management service, Debian's
/// openconnect signs in, sends traffic through the tunnel, and its session is ended; the record
/// reaches the management service's access-log API within seconds, and a session that ends while
/// the service is down arrives once when it is back.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AccessLogEndToEndTests(ITestOutputHelper output)
{
    /// <summary>The agent takes ended sessions every 5 s (AccessLogIntervalSeconds); the rest is delivery.</summary>
    private static readonly TimeSpan RecordLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EndedSession_IsInTheAccessLogWithinSeconds_WithUserLeasedAddressReasonAndBytes()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, string server) = (stack.Gateway, stack.Management, stack.Server);
        using OpenConnectClient alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "otc0");
        string leased = alice.Address;
        gateway.Topology.Exec(gateway.Topology.Client, "ping", "-c", "3", "-i", "0.2", "-W", "5", NetworkTopology.CorpAddress).EnsureSuccess();

        await gateway.ControlAsync("terminate", "alice");
        var clock = Stopwatch.StartNew();
        JsonElement page = await management.Api.WaitForAsync("/api/v1/access-log?user=alice",
            p => p.GetProperty("items").GetArrayLength() > 0, RecordLimit + TimeSpan.FromSeconds(20), "the ended session reaches the access log");
        TimeSpan untilListed = clock.Elapsed;

        JsonElement record = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.True(untilListed < RecordLimit, $"From the end of the session to its record in the access log took {AgentProcess.Seconds(untilListed)} s.");
        Assert.Equal("alice", record.GetProperty("userName").GetString());
        Assert.Equal(leased, record.GetProperty("address").GetString());
        Assert.Equal("terminated by the administrator", record.GetProperty("reason").GetString());
        Assert.Equal(server, record.GetProperty("serverId").GetString());
        Assert.Equal("gw-e2e", record.GetProperty("serverName").GetString());
        Assert.StartsWith(NetworkTopology.ClientAddress + ":", record.GetProperty("clientAddress").GetString(), StringComparison.Ordinal);
        // Three pings of 84 bytes each way at the least.
        Assert.True(record.GetProperty("bytesIn").GetInt64() >= 3 * 84, record.GetRawText());
        Assert.True(record.GetProperty("bytesOut").GetInt64() >= 3 * 84, record.GetRawText());
        Assert.True(record.GetProperty("endedAt").GetDateTime() > record.GetProperty("startedAt").GetDateTime(), record.GetRawText());
        output.WriteLine($"The record was listed {AgentProcess.Seconds(untilListed)} s after the session ended: {record.GetRawText()}");
    }

    [Fact]
    public async Task SessionEndedWhileTheManagementServiceIsDown_ArrivesOnceWhenItIsBack()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, TrackedProcess agent) = (stack.Gateway, stack.Management, stack.Agent);
        using OpenConnectClient bob = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("bob")), "otc0");

        await management.StopAsync();
        await gateway.ControlAsync("terminate", "bob");
        // Two turns of the agent's access-log loop (5 s each) with the service away: taken from the gateway, kept on disk.
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.Empty((await gateway.ControlAsync(ControlRequest.TakeEndedSessions(null, 0, 10)))!["sessions"]!.AsArray());
        await management.RestartAsync();
        var clock = Stopwatch.StartNew();
        JsonElement page = await management.Api.WaitForAsync("/api/v1/access-log?user=bob",
            p => p.GetProperty("items").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the session that ended during the outage reaches the access log");
        TimeSpan untilListed = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(6));
        JsonElement later = await management.Api.GetAsync("/api/v1/access-log?user=bob");

        Assert.Equal("terminated by the administrator", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("reason").GetString());
        Assert.Single(later.GetProperty("items").EnumerateArray());
        Assert.Contains("Access records stay queued on disk", agent.Output, StringComparison.Ordinal);
        output.WriteLine($"The record from the outage was listed {AgentProcess.Seconds(untilListed)} s after the service's restart began to answer.");
    }
}
