using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The native engine keeps its tunnel when the gateway goes away and comes back: a gateway killed
/// (SIGKILL) and restarted restores its sessions, and the client comes back with its session cookie
/// (no new sign-in) and the same address; a gateway stopped cleanly forgets its sessions, so the
/// client's cookie is refused and it signs in again with its token; a client whose own outside
/// address changes comes back from the new one with its cookie and the same leased address; a
/// gateway restarted with another configuration (no IPv6 pool) gives a different lease, and the
/// client configures the host for it and carries on. The process never exits and the host stays
/// configured meanwhile.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class NativeClientReconnectTests
{
    /// <summary>The client's outside address after its move (the test's own range, beside <see cref="NetworkTopology.ClientAddress"/>).</summary>
    private const string MovedAddress = "198.18.1.3";

    [Fact]
    public async Task GatewayKilledAndRestarted_ClientReconnectsWithItsCookie_SameAddress_NoNewSignIn()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), home);
        Ping(gateway);
        string address = Address(ConnectedLine().Match(client.Output));

        await gateway.WaitForSavedLeaseAsync(address);
        await gateway.KillAndRestartAsync();
        await client.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(60));

        Assert.False(client.HasExited, client.Output);
        Assert.Equal(address, Address(ReconnectedLine().Match(client.Output)));
        Assert.Contains("reconnecting with the session cookie", client.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("signing in again", client.Output, StringComparison.Ordinal);
        Ping(gateway);
        await gateway.Process.WaitForOutputAsync("(reconnect)", TimeSpan.FromSeconds(10));
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
        await gateway.Process.WaitForOutputAsync("Sign-in of alice", TimeSpan.FromSeconds(10));
        Ping(gateway);
        await StopAsync(client);
    }

    [Fact]
    public async Task GatewayRestartedWithoutItsIPv6Pool_ClientCarriesOnWithTheNewLease_SaysWhatChanged()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping");
        using GatewayInstance gateway = await GatewayInstance.StartAsync();
        NetworkTopology topology = gateway.Topology;
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), home);
        Ping(gateway);
        string device = DeviceOf().Match(client.Output).Groups["device"].Value;
        Assert.Contains("2001:db8:128:", topology.Exec(topology.Client, "ip", "-6", "addr", "show", "dev", device).StandardOutput, StringComparison.Ordinal);

        // The gateway comes back with a configuration without an IPv6 pool (as when the agent's site
        // configuration has none where the gateway's own file had one): the session's lease loses its IPv6 address.
        gateway.Process.Signal(9);
        await gateway.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
        JsonObject config = JsonNode.Parse(File.ReadAllText(gateway.ConfigFile))!.AsObject();
        JsonObject network = config["Network"]!.AsObject();
        network.Remove("IPv6Pool");
        network["SplitInclude"] = new JsonArray(NetworkTopology.CorpSubnet);
        File.WriteAllText(gateway.ConfigFile, config.ToJsonString());
        await gateway.StartAgainAsync();
        await client.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(90));

        Assert.False(client.HasExited, client.Output);
        Assert.Contains("The gateway gave a different lease (IPv6 address 2001:db8:128:", client.Output, StringComparison.Ordinal);
        Assert.Contains("is gone", client.Output, StringComparison.Ordinal);
        Ping(gateway);
        Assert.DoesNotContain("2001:db8:128:", topology.Exec(topology.Client, "ip", "-6", "addr", "show", "dev", device).StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayInstance.CorpSubnet6, topology.Exec(topology.Client, "ip", "-6", "route", "show").StandardOutput, StringComparison.Ordinal);
        await StopAsync(client);
    }

    [Fact]
    public async Task ClientAddressChangesMidTransfer_TunnelComesBackFromTheNewAddress_SameLeasedAddress_TransferCompletes()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ping", "iperf3");
        using GatewayInstance gateway = await GatewayInstance.StartAsync(config => config["Timeouts"] = new JsonObject { ["DpdSeconds"] = 5 });
        NetworkTopology topology = gateway.Topology;
        using TrackedProcess iperfServer = topology.Start(topology.Corp, "iperf3", ["-s", "-B", NetworkTopology.CorpAddress, "-p", "5201"]);
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, gateway.TokenFile(gateway.MintToken("alice")), home);
        Ping(gateway);
        string address = Address(ConnectedLine().Match(client.Output));

        // 60 s: the client declares the gateway dead 10 s (twice the DPD) after the move, later on
        // a loaded machine, and iperf3's TCP connection inside the tunnel waits out its
        // retransmission back-off meanwhile (tries 2, 4, 8, 16 s apart).
        var transfer = Task.Run(() => topology.Exec(topology.Client, "iperf3", ["-c", NetworkTopology.CorpAddress, "-p", "5201", "-t", "60", "-J"], TimeSpan.FromSeconds(150)));
        await Task.Delay(TimeSpan.FromSeconds(3));

        // The client's outside address changes (a new DHCP lease, another network): the old one goes, a new one comes.
        string outside = topology.Client + "0";
        topology.Exec(topology.Client, "ip", "addr", "del", NetworkTopology.ClientAddress + "/24", "dev", outside).EnsureSuccess();
        topology.Exec(topology.Client, "ip", "addr", "add", MovedAddress + "/24", "dev", outside).EnsureSuccess();
        topology.Exec(topology.Client, "ip", "route", "replace", "default", "via", NetworkTopology.GatewayPublicAddress).EnsureSuccess();

        await client.WaitForOutputAsync("Reconnected to", TimeSpan.FromSeconds(90));
        Assert.False(client.HasExited, client.Output);
        Assert.Equal(address, Address(ReconnectedLine().Match(client.Output)));
        Ping(gateway);
        var sessions = (await gateway.ControlAsync("sessions"))!.AsArray();
        Assert.Contains(sessions, s => s!.ToJsonString().Contains(MovedAddress, StringComparison.Ordinal));

        // The transfer inside the tunnel never saw the move: its addresses stayed.
        var report = JsonNode.Parse((await transfer.WaitAsync(TimeSpan.FromSeconds(150))).EnsureSuccess().StandardOutput)!;
        Assert.True(report["intervals"]!.AsArray().Last()!["sum"]!["bytes"]!.GetValue<long>() > 0, "iperf3 stalled at the end: " + report["intervals"]!.AsArray().Last()!.ToJsonString() + $"\n{client.Output}");
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

    [GeneratedRegex(@" on (?<device>opentun[0-9]+), MTU")]
    private static partial Regex DeviceOf();

    [GeneratedRegex(@"^Reconnected to \S+: (?<address>198\.18\.128\.[0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ReconnectedLine();
}
