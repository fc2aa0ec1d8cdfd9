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
    public async Task KilledMidTransfer_RestartedGatewayRestoresTableAndForwarding_KeepsRevocations_TheClientSignsInAgain_AndAStopRestoresForwarding()
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
        string tableBefore = Table(gateway);

        // A transfer through the tunnel (a ping every 20 ms to the corp host) when the gateway dies.
        using var transfer = gateway.Topology.Start(gateway.Topology.Client, "ping", ["-n", "-i", "0.02", "-W", "1", NetworkTopology.CorpAddress]);
        await transfer.WaitForOutputAsync("icmp_seq=20 ", TimeSpan.FromSeconds(10));
        TimeSpan restart = await gateway.KillAndRestartAsync();

        // The same nftables table (the new process replaced the one the killed one left) and forwarding on.
        Assert.Equal(tableBefore, Table(gateway));
        Assert.Equal("1", gateway.Topology.Exec(gateway.Topology.Gateway, "cat", "/proc/sys/net/ipv4/ip_forward").EnsureSuccess().StandardOutput.Trim());

        // The revocation was saved (DATA/revocations.json) and still refuses the token it covered.
        var refused = OpenConnectClient.Authenticate(gateway, malloryToken);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("revoked", gateway.Process.Output, StringComparison.Ordinal);

        // The session table is in memory: the client's reconnect with its cookie is refused (401) and
        // openconnect stops, as docs/gateway.md says; signing in again with the token it holds gives a tunnel.
        var stopped = Stopwatch.StartNew();
        await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        TimeSpan clientStop = stopped.Elapsed;
        Assert.Contains("rejected", client.Process.Output, StringComparison.OrdinalIgnoreCase);
        var back = Stopwatch.StartNew();
        using var again = await OpenConnectClient.ConnectWithTokenAsync(gateway, aliceToken, "occrash2");
        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(5)).EnsureSuccess();
        TimeSpan signInAgain = back.Elapsed;
        transfer.Signal(2);
        await transfer.WaitForExitAsync(TimeSpan.FromSeconds(5));

        // A clean stop of the restarted gateway puts forwarding back as the host had it before the
        // crash (recorded in DATA/forwarding-before), not as the killed gateway left it.
        Assert.Equal(0, await gateway.StopAsync());
        Assert.Equal("0", gateway.Topology.Exec(gateway.Topology.Gateway, "cat", "/proc/sys/net/ipv4/ip_forward").EnsureSuccess().StandardOutput.Trim());
        Assert.False(File.Exists(Path.Combine(gateway.DataDirectory, "forwarding-before")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"restart until listening {restart.TotalMilliseconds:0} ms; openconnect stopped {clientStop.TotalMilliseconds:0} ms after; sign-in again until a ping crossed {signInAgain.TotalMilliseconds:0} ms"));
        output.WriteLine(transfer.Output.Split('\n').LastOrDefault(l => l.Contains("packet loss", StringComparison.Ordinal)) ?? "");
    }

    private static string Table(GatewayInstance gateway) =>
        gateway.Topology.Exec(gateway.Topology.Gateway, "nft", "list", "table", "inet", "opentunnel").EnsureSuccess().StandardOutput;
}
