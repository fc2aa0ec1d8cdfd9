using System.Diagnostics;
using System.Text.Json;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// Sessions across gateways end to end: a real gateway, its agent (session snapshots every
/// second) and the management service, and Debian's openconnect. The live session is listed by
/// GET /api/v1/sessions with its server, leased address and channel; a disconnect queued through
/// POST /api/v1/sessions/commands makes openconnect reconnect with its cookie, and a terminate
/// makes it exit and its cookie is refused afterwards.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SessionsEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LiveSession_IsListed_DisconnectMakesOpenConnectReconnect_TerminateEndsItAndRefusesTheCookie()
    {
        using AgentStack stack = await AgentStack.StartAsync();
        (GatewayInstance gateway, ManagementProcess management, string server) = (stack.Gateway, stack.Management, stack.Server);
        var signIn = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(gateway.MintToken("sally")));
        signIn.EnsureSuccess();
        string cookie = GatewayTunnelTests.CookieLine().Match(signIn.StandardOutput).Groups[1].Value;
        using OpenConnectClient client = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, "otc0");
        var clock = Stopwatch.StartNew();

        // A snapshot taken between the sign-in and the CONNECT lists the session without an
        // address; the next one, a second later, carries the lease.
        JsonElement listed = await management.Api.WaitForAsync("/api/v1/sessions?user=sally",
            p => p.GetProperty("totalCount").GetInt32() == 1 && p.GetProperty("items")[0].GetProperty("address").ValueKind == JsonValueKind.String,
            Generous, "the live session is listed with its leased address");
        TimeSpan untilListed = clock.Elapsed;
        JsonElement session = listed.GetProperty("items")[0];
        Assert.Equal(server, session.GetProperty("serverId").GetString());
        Assert.Equal("gw-e2e", session.GetProperty("serverName").GetString());
        Assert.Equal(stack.Site, session.GetProperty("siteId").GetString());
        Assert.Equal(client.Address, session.GetProperty("address").GetString());
        Assert.StartsWith(NetworkTopology.ClientAddress + ":", session.GetProperty("clientAddress").GetString(), StringComparison.Ordinal);
        Assert.Contains(session.GetProperty("channel").GetString(), new[] { "TLS", "DTLS" });
        long sessionId = session.GetProperty("sessionId").GetInt64();

        JsonElement disconnect = await management.Api.PostAsync("/api/v1/sessions/commands", new { kind = "disconnect", serverId = server, sessionId });
        await WaitForCommandAsync(management, server, disconnect);
        await client.WaitForScriptAsync("reconnect", Generous);
        Assert.False(client.Process.HasExited, "openconnect ended after a disconnect instead of reconnecting:\n" + client.Process.Output);

        JsonElement terminate = await management.Api.PostAsync("/api/v1/sessions/commands", new { kind = "terminate", user = "sally" });
        JsonElement done = await WaitForCommandAsync(management, server, terminate);
        await client.Process.WaitForExitAsync(Generous);
        using OpenConnectClient again = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, "otc1", waitForTunnel: false);
        int exit = await again.Process.WaitForExitAsync(Generous);
        await management.Api.WaitForAsync("/api/v1/sessions?user=sally", p => p.GetProperty("totalCount").GetInt32() == 0, Generous, "the ended session leaves the list");

        Assert.Contains("Received server disconnect", client.Process.Output, StringComparison.Ordinal);
        Assert.Equal("terminate: 1 session(s) of 'sally'.", done.GetProperty("output").GetString());
        Assert.NotEqual(0, exit);
        Assert.Contains("401", again.Process.Output, StringComparison.Ordinal);
        output.WriteLine($"The session was listed {AgentProcess.Seconds(untilListed)} s after openconnect connected.");
    }

    /// <summary>Waits until the one command of <paramref name="created"/> has succeeded at the agent; returns it.</summary>
    private static async Task<JsonElement> WaitForCommandAsync(ManagementProcess management, string server, JsonElement created)
    {
        string id = Assert.Single(created.EnumerateArray()).GetProperty("id").GetString()!;
        JsonElement command = await management.Api.WaitForAsync($"/api/v1/servers/{server}/commands/{id}",
            c => c.GetProperty("state").GetString() is "succeeded" or "failed", Generous, "the agent runs the session command");
        Assert.True(command.GetProperty("state").GetString() == "succeeded", command.GetRawText());
        return command;
    }
}
