using System.Diagnostics;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;
using Xunit.Abstractions;

namespace OpenTunnel.EndToEnd.Tests.Reliability;

/// <summary>
/// A step of the system clock by an hour forward and back under a real gateway (docs/reliability.md,
/// "Clock jump of an hour on the gateway"). The gateway runs under libfaketime, whose offset file
/// the test rewrites while the gateway runs (<c>FAKETIME_NO_CACHE=1</c>: read at every call); the
/// monotonic clock is left alone (<c>FAKETIME_DONT_FAKE_MONOTONIC=1</c>), as a step of the system
/// clock leaves it, and <c>FAKETIME_FORCE_MONOTONIC_FIX=0</c> keeps the runtime's timed waits
/// right. openconnect and the token issuer run on the true clock.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GatewayClockJumpTests(ITestOutputHelper output)
{
    private const string LibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

    /// <summary>DPD 5 s: a link silent for 2 × 5 + 5 = 15 s is closed, so <see cref="Observe"/> covers a dead-peer check.</summary>
    private const int DpdSeconds = 5;

    /// <summary>A link-less cookie lives 10 minutes: an hour forward ends it, an hour back keeps it.</summary>
    private const int CookieTimeoutSeconds = 600;

    private static readonly TimeSpan Observe = TimeSpan.FromSeconds(2 * DpdSeconds + 5 + 10);

    [Fact]
    public async Task WallClockStepsAnHourForwardAndBack_TheTunnelStaysUp_TokensAndCookiesFollowTheWallClock()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "openconnect", "ping");
        Assert.True(File.Exists(LibFaketime), $"{LibFaketime} is missing: install the Debian package faketime (./test.sh does).");
        using var clock = new TemporaryDirectory();
        string offsetFile = clock.File("offset");
        File.WriteAllText(offsetFile, "+0\n");
        using var gateway = await GatewayInstance.StartAsync(
            config => config["Timeouts"] = new JsonObject { ["DpdSeconds"] = DpdSeconds, ["CookieTimeoutSeconds"] = CookieTimeoutSeconds },
            environment: new Dictionary<string, string>
            {
                ["LD_PRELOAD"] = LibFaketime,
                ["FAKETIME_TIMESTAMP_FILE"] = offsetFile,
                ["FAKETIME_NO_CACHE"] = "1",
                ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
                ["FAKETIME_FORCE_MONOTONIC_FIX"] = "0",
            });
        using var alice = await OpenConnectClient.ConnectWithTokenAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), "ocjump");
        Ping(gateway);
        string bobCookie = SignIn(gateway, "bob", DateTimeOffset.UtcNow);

        // An hour forward.
        File.WriteAllText(offsetFile, "+1h\n");
        var jumped = Stopwatch.StartNew();
        // A token with 30 minutes left on the true clock has expired on the gateway's...
        await AssertRefusedAsync(gateway, gateway.MintToken("eve", issuedAt: DateTimeOffset.UtcNow, lifetime: TimeSpan.FromMinutes(30)), "expired");
        // ...and one issued an hour ahead is valid there.
        string frankCookie = SignIn(gateway, "frank", DateTimeOffset.UtcNow.AddHours(1));
        // bob signed in an hour ago on the gateway's clock and never connected: past the cookie timeout, the next sweep ends his session.
        await gateway.Process.WaitForOutputAsync("of bob ended (cookie expired without a reconnect)", TimeSpan.FromSeconds(20));
        await AssertCookieRefusedAsync(gateway, bobCookie, "ocbob");
        await AssertTunnelKeptAsync(gateway, alice, jumped, "+1h");

        // An hour back from the true time (two hours back from the last step).
        File.WriteAllText(offsetFile, "-1h\n");
        jumped.Restart();
        await AssertRefusedAsync(gateway, gateway.MintToken("eve", issuedAt: DateTimeOffset.UtcNow, lifetime: TimeSpan.FromHours(1)), "not-yet-valid");
        SignIn(gateway, "grace", DateTimeOffset.UtcNow.AddHours(-1));
        // frank's sign-in time is now two hours in the gateway's future: his cookie stays valid (that much longer).
        using (var frank = await OpenConnectClient.ConnectWithCookieAsync(gateway, frankCookie, "ocfrank"))
        {
            Assert.False(frank.Process.HasExited, frank.Process.Output);
            // SIGINT: openconnect says goodbye, so no link is left for the dead-peer check below.
            frank.Process.Signal(2);
            await frank.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }

        await AssertTunnelKeptAsync(gateway, alice, jumped, "-1h");

        File.WriteAllText(offsetFile, "+0\n");
        jumped.Restart();
        await AssertTunnelKeptAsync(gateway, alice, jumped, "+0");
        Assert.DoesNotContain("dead peer", gateway.Process.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(alice.EnvironmentDirectory, "reconnect")), "openconnect reconnected:\n" + alice.Process.Output);
    }

    /// <summary>For a dead-peer check's span after a step: openconnect keeps running without reconnecting, the gateway still holds its session, and pings cross.</summary>
    private async Task AssertTunnelKeptAsync(GatewayInstance gateway, OpenConnectClient alice, Stopwatch sinceStep, string offset)
    {
        while (sinceStep.Elapsed < Observe)
        {
            Ping(gateway);
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        Assert.False(alice.Process.HasExited, alice.Process.Output);
        Assert.False(File.Exists(Path.Combine(alice.EnvironmentDirectory, "reconnect")), $"openconnect reconnected after the step to {offset}:\n{alice.Process.Output}");
        Assert.DoesNotContain("dead peer", gateway.Process.Output, StringComparison.Ordinal);
        var sessions = (await gateway.ControlAsync("sessions"))!.ToJsonString();
        Assert.Contains("\"alice\"", sessions, StringComparison.Ordinal);
        output.WriteLine($"{offset}: tunnel up {sinceStep.Elapsed.TotalSeconds:0} s after the step, pings crossing, no dead-peer close, no reconnect");
    }

    private static void Ping(GatewayInstance gateway) =>
        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "5", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();

    /// <summary>Signs <paramref name="user"/> in with a token issued at <paramref name="issuedAt"/> (lifetime an hour) and returns the cookie.</summary>
    private static string SignIn(GatewayInstance gateway, string user, DateTimeOffset issuedAt) =>
        OpenConnectClient.AuthenticateForCookie(gateway, gateway.TokenFile(gateway.MintToken(user, issuedAt: issuedAt, lifetime: TimeSpan.FromHours(1))));

    private static async Task AssertRefusedAsync(GatewayInstance gateway, string token, string check)
    {
        var result = OpenConnectClient.Authenticate(gateway, gateway.TokenFile(token));
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("COOKIE=", result.StandardOutput, StringComparison.Ordinal);
        await gateway.Process.WaitForOutputAsync($"refused by check token-{check}", TimeSpan.FromSeconds(20));
    }

    /// <summary>CONNECT with <paramref name="cookie"/> is answered 401.</summary>
    private static async Task AssertCookieRefusedAsync(GatewayInstance gateway, string cookie, string interfaceName)
    {
        using var client = await OpenConnectClient.ConnectWithCookieAsync(gateway, cookie, interfaceName, waitForTunnel: false);
        Assert.NotEqual(0, await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("401", client.Process.Output, StringComparison.Ordinal);
    }
}
