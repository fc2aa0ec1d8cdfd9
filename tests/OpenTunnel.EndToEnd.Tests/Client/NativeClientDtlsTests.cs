using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The native engine's DTLS channel against the real gateway: it takes over from TLS when UDP
/// works, costs nothing when UDP is blocked from the start, gives the packets back to TLS when UDP
/// goes silent during a transfer, and takes them again when UDP returns. UDP is blocked with
/// nftables in the client namespace. The gateway runs with a DPD of 5 s, so the client declares
/// DTLS dead after 10 s. The device's MTU is the one the gateway announces, and packets of that
/// size cross both channels.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class NativeClientDtlsTests
{
    private const string BlockTable = "otnativeudp";
    private const int IperfPort = 5201;

    [Fact]
    public async Task Dtls_UdpWorks_TakesOverFromTls_AndPingsGoOverUdp()
    {
        using GatewayInstance gateway = await StartGatewayAsync();
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, TokenFile(gateway), home);

        await client.WaitForOutputAsync("DTLS is up", TimeSpan.FromSeconds(20));
        await gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10));
        var before = await gateway.SessionOfAsync("alice");
        Ping(gateway, count: 10).EnsureSuccess();
        var after = await gateway.SessionOfAsync("alice");

        // 10 echo requests of 84 bytes came in over DTLS, and the answers went out over it.
        Assert.True(Dtls(after, "bytesIn") - Dtls(before, "bytesIn") >= 840, $"DTLS bytes in: {Dtls(before, "bytesIn")} → {Dtls(after, "bytesIn")}.");
        Assert.True(Dtls(after, "bytesOut") - Dtls(before, "bytesOut") >= 840, $"DTLS bytes out: {Dtls(before, "bytesOut")} → {Dtls(after, "bytesOut")}.");
        Assert.Equal("DTLS", after["channel"]!.GetValue<string>());
        await gateway.Process.WaitForOutputAsync("DTLS established", TimeSpan.FromSeconds(10));
        var scrape = gateway.Topology.Exec(gateway.Topology.Gateway, "curl", "-s", "-m", "5", "http://127.0.0.1:9464/metrics").EnsureSuccess().StandardOutput;
        Assert.Matches("opentunnel_gateway_dtls_handshakes_total\\{[^}]*result=\"succeeded\"[^}]*\\} 1", scrape);
        string status = await WaitForStatusAsync(home, "Channel: DTLS since");
        Assert.Matches($"Connected to {NetworkTopology.GatewayPublicAddress.Replace(".", "\\.", StringComparison.Ordinal)} \\(native engine, process [0-9]+\\) since .*: 198\\.18\\.128\\.[0-9]+, 2001:db8:128:[0-9a-f:]+ on opentun", status);

        client.Signal(15);
        Assert.Equal(0, await client.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Matches("Disconnected \\([0-9]+ bytes sent, [0-9]+ received, of which [1-9][0-9]* and [1-9][0-9]* over DTLS\\)", client.Output);
    }

    [Fact]
    public async Task Dtls_UdpBlockedFromTheStart_TunnelUpAndPingAnsweredWithinTwoSeconds()
    {
        using GatewayInstance gateway = await StartGatewayAsync();
        BlockUdp(gateway, outgoingToo: true);
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, TokenFile(gateway), home);

        var clock = Stopwatch.StartNew();
        Ping(gateway, count: 1).EnsureSuccess();
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"The first ping took {clock.Elapsed.TotalMilliseconds:0} ms after 'Connected'.\n{client.Output}");
        Assert.Equal("TLS", (await gateway.SessionOfAsync("alice"))["channel"]!.GetValue<string>());
        Assert.DoesNotContain("DTLS is up", client.Output, StringComparison.Ordinal);
        await WaitForStatusAsync(home, "Channel: TLS since");
        // UDP refused on output: the handshake fails at once, and says when it is tried again.
        await client.WaitForOutputAsync("DTLS is tried again in 60 s", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Dtls_UdpBlockedMidTransfer_TransferCompletesOverTls_AndDtlsReturnsWhenUnblocked()
    {
        Prerequisites.RequireRootAndCommands("iperf3");
        using GatewayInstance gateway = await StartGatewayAsync();
        using TrackedProcess iperfServer = gateway.Topology.Start(gateway.Topology.Corp, "iperf3", ["-s", "-B", NetworkTopology.CorpAddress, "-p", IperfPort.ToString(CultureInfo.InvariantCulture)]);
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, TokenFile(gateway), home);
        await client.WaitForOutputAsync("DTLS is up", TimeSpan.FromSeconds(20));
        await gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10));
        var before = await gateway.SessionOfAsync("alice");

        // 45 s: the client declares DTLS dead 10 s after the block (later on a loaded machine), and
        // iperf3's TCP connection sits in its retransmission back-off meanwhile: with the round trip
        // of a loaded machine (1.8 s seen) its next tries come 2, 4, 8 and 16 s apart, so the one
        // that goes over TLS may come 16 s after the move.
        var transfer = Task.Run(() => gateway.Topology.Exec(gateway.Topology.Client, "iperf3",
            ["-c", NetworkTopology.CorpAddress, "-p", IperfPort.ToString(CultureInfo.InvariantCulture), "-t", "45", "-J"], TimeSpan.FromSeconds(120)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        BlockUdp(gateway, outgoingToo: false);
        try
        {
            await client.WaitForOutputAsync("go over TLS again", TimeSpan.FromSeconds(30));
            await gateway.WaitForChannelAsync("alice", "TLS", TimeSpan.FromSeconds(30));
            var report = JsonNode.Parse((await transfer.WaitAsync(TimeSpan.FromSeconds(120))).EnsureSuccess().StandardOutput)!;
            var during = await gateway.SessionOfAsync("alice");
            long overTls = (Number(during, "bytesIn") - Number(before, "bytesIn")) - (Dtls(during, "bytesIn") - Dtls(before, "bytesIn"));
            Assert.True(overTls > 1_000_000, $"Only {overTls} bytes of the transfer arrived over TLS; iperf3's intervals: "
                + string.Join(", ", report["intervals"]!.AsArray().Select(i => i!["sum"]!["bytes"]!.GetValue<long>())) + $"\n{client.Output}");
            Assert.True(report["intervals"]!.AsArray().Last()!["sum"]!["bytes"]!.GetValue<long>() > 0, "iperf3 stalled at the end: " + report["intervals"]!.AsArray().Last()!.ToJsonString());
        }
        finally
        {
            UnblockUdp(gateway);
        }

        // DTLS is tried again 60 s after it was declared dead; the same session takes it back.
        await WaitForOutputCountAsync(client, "DTLS is up", 2, TimeSpan.FromSeconds(100));
        Ping(gateway, count: 3).EnsureSuccess();
        await gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(15));
        var back = await gateway.SessionOfAsync("alice");
        Assert.Equal(before["id"]!.GetValue<long>(), back["id"]!.GetValue<long>());
        long dtlsBefore = Dtls(back, "bytesIn");
        Ping(gateway, count: 5).EnsureSuccess();
        Assert.True(Dtls(await gateway.SessionOfAsync("alice"), "bytesIn") > dtlsBefore);
    }

    [Fact]
    public async Task Mtu_GatewayAnnouncesIt_TunDeviceTakesIt_FullSizePacketsCrossDtlsAndTls_OneByteMoreFailsLocally()
    {
        // A link MTU of 1400 gives a data MTU (X-CSTP-MTU, X-DTLS-MTU) of 1400 - 28 - 37 - 1 = 1334,
        // not the 1434 of the default 1500: the device's MTU can only have come from the answer.
        const int announced = 1334;
        const int fits = announced - 28;
        using GatewayInstance gateway = await StartGatewayAsync(config => config["Network"]!["Mtu"] = 1400);
        NetworkTopology topology = gateway.Topology;
        using var home = new TemporaryDirectory();
        using TrackedProcess client = await NativeClientTests.ConnectAsync(gateway, TokenFile(gateway), home);
        Assert.Contains($"MTU {announced}, over TLS", client.Output, StringComparison.Ordinal);
        string links = topology.Exec(topology.Client, "ip", "-o", "link", "show").EnsureSuccess().StandardOutput;
        Assert.Matches($"opentun[0-9]+: .* mtu {announced} ", links);

        await client.WaitForOutputAsync("DTLS is up", TimeSpan.FromSeconds(20));
        await gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10));
        await AssertOnlyFullSizeCrossesAsync(gateway, fits, "DTLS", session => Dtls(session, "bytesIn"));

        // UDP goes silent: the same sizes over TLS.
        BlockUdp(gateway, outgoingToo: true);
        try
        {
            await client.WaitForOutputAsync("go over TLS again", TimeSpan.FromSeconds(40));
            await gateway.WaitForChannelAsync("alice", "TLS", TimeSpan.FromSeconds(30));
            await AssertOnlyFullSizeCrossesAsync(gateway, fits, "TLS", session => Number(session, "bytesIn"));
        }
        finally
        {
            UnblockUdp(gateway);
        }

        client.Signal(15);
        Assert.Equal(0, await client.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// Two echo requests of <paramref name="fits"/> data bytes (+ 28 of headers, the tunnel MTU) that
    /// may not be fragmented (-M do) are answered and counted by the gateway on <paramref name="channel"/>
    /// (<paramref name="bytesIn"/> of alice's session); one byte more is refused by the client's kernel.
    /// </summary>
    private static async Task AssertOnlyFullSizeCrossesAsync(GatewayInstance gateway, int fits, string channel, Func<JsonNode, long> bytesIn)
    {
        long before = bytesIn(await gateway.SessionOfAsync("alice"));
        FullSizePing(gateway.Topology, fits).EnsureSuccess();
        Assert.True(bytesIn(await gateway.SessionOfAsync("alice")) - before >= 2 * (fits + 28), $"The full-size echo requests did not come in over {channel}.");
        CommandResult tooLong = FullSizePing(gateway.Topology, fits + 1);
        Assert.False(tooLong.Succeeded, $"An echo request one byte over the tunnel MTU was answered over {channel}.");
        Assert.Contains("message too long", tooLong.StandardOutput + tooLong.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    private static CommandResult FullSizePing(NetworkTopology topology, int size) =>
        topology.Exec(topology.Client, "ping", ["-c", "2", "-i", "0.2", "-W", "3", "-M", "do", "-s", size.ToString(CultureInfo.InvariantCulture), NetworkTopology.CorpAddress], TimeSpan.FromSeconds(15));

    private static Task<GatewayInstance> StartGatewayAsync(Action<JsonObject>? configure = null)
    {
        Prerequisites.RequireRootAndCommands("ping", "nft");
        return GatewayInstance.StartAsync(config =>
        {
            config["Timeouts"] = new JsonObject { ["DpdSeconds"] = 5 };
            configure?.Invoke(config);
        });
    }

    private static string TokenFile(GatewayInstance gateway) => gateway.TokenFile(gateway.MintToken("alice"));

    private static CommandResult Ping(GatewayInstance gateway, int count) =>
        gateway.Topology.Exec(gateway.Topology.Client, "ping", ["-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", NetworkTopology.CorpAddress], TimeSpan.FromSeconds(10 + count));

    /// <summary>Drops UDP from the gateway's port in the client namespace (and to it, with <paramref name="outgoingToo"/>).</summary>
    private static void BlockUdp(GatewayInstance gateway, bool outgoingToo)
    {
        var topology = gateway.Topology;
        string port = GatewayInstance.Port.ToString(CultureInfo.InvariantCulture);
        topology.Exec(topology.Client, "nft", "add", "table", "inet", BlockTable).EnsureSuccess();
        topology.Exec(topology.Client, "nft", "add", "chain", "inet", BlockTable, "in", "{ type filter hook input priority -50; }").EnsureSuccess();
        topology.Exec(topology.Client, "nft", "add", "rule", "inet", BlockTable, "in", "udp", "sport", port, "drop").EnsureSuccess();
        if (outgoingToo)
        {
            topology.Exec(topology.Client, "nft", "add", "chain", "inet", BlockTable, "out", "{ type filter hook output priority -50; }").EnsureSuccess();
            topology.Exec(topology.Client, "nft", "add", "rule", "inet", BlockTable, "out", "udp", "dport", port, "drop").EnsureSuccess();
        }
    }

    private static void UnblockUdp(GatewayInstance gateway) =>
        gateway.Topology.Exec(gateway.Topology.Client, "nft", "delete", "table", "inet", BlockTable);

    private static long Number(JsonNode session, string name) => session[name]!.GetValue<long>();

    private static long Dtls(JsonNode session, string name) => session["dtls"]![name]!.GetValue<long>();

    /// <summary>Runs <c>opentunnel status</c> on the client's state directory until it says <paramref name="text"/> (tunnel.json is written within a second of a change).</summary>
    internal static Task<string> WaitForStatusAsync(TemporaryDirectory home, string text) =>
        Poll.UntilAsync(
            () => Task.FromResult(Command.Run("dotnet", [ClientConnectTests.Client, "status"], TimeSpan.FromSeconds(60), environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path }).EnsureSuccess().StandardOutput),
            output => output.Contains(text, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            output => $"opentunnel status did not say '{text}':\n{output}",
            TimeSpan.FromMilliseconds(500));

    private static Task WaitForOutputCountAsync(TrackedProcess process, string text, int count, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(process.Output), output => output.Split(text).Length - 1 >= count, timeout, output => $"'{text}' appeared fewer than {count} times:\n{output}");
}
