using System.Diagnostics;
using System.Globalization;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// The gateway killed with SIGKILL in the middle of a transfer and started again by its
/// supervisor (docs/reliability.md, "Gateway killed"). systemd is not PID 1 in the test's
/// namespaces, so the test restarts the gateway itself, as the unit's <c>Restart=on-failure</c> would.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledMidTransfer_RestartedGatewayRestoresTableAndForwarding_KeepsRevocations_TheClientReconnectsWithItsCookieAndAddress_AndAStopRestoresForwarding()
    {
        // The host had IPv4 forwarding off: the first start only (not the restart) switches it off
        // in the gateway namespace before the gateway starts, so the restart finds what the killed gateway left.
        using var marks = new TemporaryDirectory();
        string firstStart = marks.File("started");
        using var gateway = await GatewayInstance.StartAsync(launcher:
        [
            "sh", "-c", $"[ -e '{firstStart}' ] || {{ echo 0 > /proc/sys/net/ipv4/ip_forward; : > '{firstStart}'; }}; exec \"$@\"", "sh",
        ]);
        string aliceToken = gateway.TokenFile(gateway.MintToken("alice"));
        string malloryToken = gateway.TokenFile(gateway.MintToken("mallory"));
        await gateway.ControlAsync("revoke", "mallory");
        using var client = await OpenConnectClient.ConnectWithTokenAsync(gateway, aliceToken, "occrash");
        string address = client.Address;
        string tableBefore = Table(gateway);

        // Two sessions ended before the crash must stay ended after it: terry's by terminate (its
        // cookie), carol's by revoke (her access).
        string terryCookie = SignIn(gateway, "terry");
        string carolCookie = SignIn(gateway, "carol");
        await gateway.ControlAsync("terminate", "terry");
        await gateway.ControlAsync("revoke", "carol");

        // The session file holds hashes, never a cookie, and only its owner can read it.
        string sessionFile = Path.Combine(gateway.DataDirectory, "sessions.json");
        string saved = File.ReadAllText(sessionFile);
        Assert.DoesNotContain(terryCookie, saved, StringComparison.Ordinal);
        Assert.DoesNotContain(carolCookie, saved, StringComparison.Ordinal);
        Assert.Contains("\"user\":\"alice\"", saved, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sessionFile));

        // A transfer through the tunnel (a ping every 20 ms to the corp host) when the gateway dies.
        using var transfer = gateway.Topology.Start(gateway.Topology.Client, "ping", ["-n", "-i", "0.02", "-W", "1", NetworkTopology.CorpAddress]);
        await transfer.WaitForOutputAsync("icmp_seq=20 ", TimeSpan.FromSeconds(10));
        var killed = Stopwatch.StartNew();
        TimeSpan restart = await gateway.KillAndRestartAsync();

        // The same nftables table (the new process replaced the one the killed one left) and forwarding on.
        Assert.Equal(tableBefore, Table(gateway));
        Assert.Equal("1", gateway.Topology.Exec(gateway.Topology.Gateway, "cat", "/proc/sys/net/ipv4/ip_forward").EnsureSuccess().StandardOutput.Trim());

        // The revocation was saved (DATA/revocations.json) and still refuses the token it covered.
        var refused = OpenConnectClient.Authenticate(gateway, malloryToken);
        Assert.NotEqual(0, refused.ExitCode);
        await gateway.Process.WaitForOutputAsync("revoked", TimeSpan.FromSeconds(10));

        // The session was saved (DATA/sessions.json): openconnect reconnects with its cookie, without
        // a new sign-in, and keeps its address (it would give up if the address changed).
        await client.WaitForScriptAsync("reconnect", TimeSpan.FromSeconds(40));
        TimeSpan reconnected = killed.Elapsed;
        Assert.False(client.Process.HasExited, client.Process.Output);
        Assert.Equal(address, client.Environment("reconnect")["INTERNAL_IP4_ADDRESS"]);
        // Up to three pings (ping succeeds on the first reply): one may fall into openconnect's switch back to DTLS.
        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "3", "-i", "0.5", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();
        TimeSpan tunnelBack = killed.Elapsed;
        Assert.Contains("Restored 1 session(s)", gateway.Process.Output, StringComparison.Ordinal);
        Assert.Contains("(reconnect)", gateway.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign-in of alice", gateway.Process.Output, StringComparison.Ordinal);
        transfer.Signal(2);
        await transfer.WaitForExitAsync(TimeSpan.FromSeconds(5));

        // The ended sessions were not brought back.
        (string Cookie, string Interface)[] endedSessions = [(terryCookie, "octerry"), (carolCookie, "occarol")];
        foreach ((string cookie, string name) in endedSessions)
        {
            using var ended = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, name, waitForTunnel: false);
            Assert.NotEqual(0, await ended.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("401", ended.Process.Output, StringComparison.Ordinal);
        }

        // A clean stop of the restarted gateway puts forwarding back as the host had it before the
        // crash (recorded in DATA/forwarding-before), not as the killed gateway left it; it ended
        // every session (TERMINATE), so it deletes the session file.
        Assert.Equal(0, await gateway.StopAsync());
        Assert.Equal("0", gateway.Topology.Exec(gateway.Topology.Gateway, "cat", "/proc/sys/net/ipv4/ip_forward").EnsureSuccess().StandardOutput.Trim());
        Assert.False(File.Exists(Path.Combine(gateway.DataDirectory, "forwarding-before")));
        Assert.False(File.Exists(sessionFile));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"restart until listening {restart.TotalMilliseconds:0} ms; openconnect reconnected with its cookie {reconnected.TotalMilliseconds:0} ms after SIGKILL; a ping crossed again {tunnelBack.TotalMilliseconds:0} ms after"));
        output.WriteLine(transfer.Output.Split('\n').LastOrDefault(l => l.Contains("packet loss", StringComparison.Ordinal)) ?? "");
    }

    /// <summary>Signs <paramref name="user"/> in with <c>openconnect --authenticate</c> (no tunnel) and returns the session cookie.</summary>
    private static string SignIn(GatewayInstance gateway, string user) =>
        OpenConnectClient.AuthenticateForCookie(gateway, gateway.TokenFile(gateway.MintToken(user)));

    private static string Table(GatewayInstance gateway) =>
        gateway.Topology.Exec(gateway.Topology.Gateway, "nft", "list", "table", "inet", "opentunnel").EnsureSuccess().StandardOutput;
}
