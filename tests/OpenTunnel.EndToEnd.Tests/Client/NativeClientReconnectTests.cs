using System.Globalization;
using System.Text.RegularExpressions;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The native engine keeps its tunnel when the gateway goes away and comes back: a gateway killed
/// (SIGKILL) and restarted restores its sessions, and the client comes back with its session cookie
/// (no new sign-in) and the same address; a gateway stopped cleanly forgets its sessions, so the
/// client's cookie is refused and it signs in again with its token. The process never exits and
/// the host stays configured meanwhile.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class NativeClientReconnectTests
{
    [Fact]
    public async Task GatewayKilledAndRestarted_ClientReconnectsWithItsCookie_SameAddress_NoNewSignIn()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), home);
        Ping(gateway);
        string address = Address(ConnectedLine().Match(client.Output));

        await gateway.KillAndRestartAsync();
        await client.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(60));

        Assert.False(client.HasExited, client.Output);
        Assert.Equal(address, Address(ReconnectedLine().Match(client.Output)));
        Assert.Contains("reconnecting with the session cookie", client.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("signing in again", client.Output, StringComparison.Ordinal);
        Ping(gateway);
        Assert.Contains("(reconnect)", gateway.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign-in of alice", gateway.Process.Output, StringComparison.Ordinal);
        await StopAsync(client);
    }

    [Fact]
    public async Task GatewayStoppedAndStarted_CookieRefused_ClientSignsInAgainWithItsToken()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), home);
        Ping(gateway);

        await gateway.StopAndRestartAsync();
        await client.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(60));

        Assert.False(client.HasExited, client.Output);
        Assert.Contains("The gateway shut down: reconnecting with the session cookie", client.Output, StringComparison.Ordinal);
        Assert.Contains("The gateway no longer knows the session", client.Output, StringComparison.Ordinal);
        Assert.Contains("Sign-in of alice", gateway.Process.Output, StringComparison.Ordinal);
        Ping(gateway);
        await StopAsync(client);
    }

    private static void Ping(GatewayInstance gateway) =>
        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", "1", "-W", "3", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();

    private static string Address(Match line)
    {
        Assert.True(line.Success, "No connect line with an address.");
        return line.Groups["address"].Value;
    }

    private static async Task StopAsync(TrackedProcess client)
    {
        client.Signal(15);
        int exitCode = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode == 0, string.Create(CultureInfo.InvariantCulture, $"connect exited with {exitCode} after SIGTERM.\n{client.Output}"));
        Assert.Contains("Disconnected (", client.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^Connected to \S+: (?<address>198\.18\.128\.[0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ConnectedLine();

    [GeneratedRegex(@"^Reconnected to \S+: (?<address>198\.18\.128\.[0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ReconnectedLine();
}
