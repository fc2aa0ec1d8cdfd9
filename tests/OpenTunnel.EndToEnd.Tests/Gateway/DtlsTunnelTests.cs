using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// The DTLS data channel with Debian's openconnect 9.01: established in master-secret mode,
/// carrying an iperf3 transfer over UDP, unmoved by garbage and replayed records, and the
/// fall-back to TLS when UDP to the gateway is dropped and back to DTLS when it returns. The
/// gateway runs with a DPD of 5 s so openconnect declares DTLS dead after 10 s.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DtlsTunnelTests : IClassFixture<DtlsTunnelTests.Fixture>
{
    private const int IperfPort = 5201;
    private const int WindowIperfPort = 5302;
    private const string DropTable = "otdtlsdrop";

    private readonly Fixture _fixture;

    public DtlsTunnelTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

    [Fact]
    public async Task Dtls_OpenConnect_EstablishedAndIperfMovesItsBytesOverUdp()
    {
        Assert.Contains("Established DTLS connection", _fixture.Alice.Process.Output, StringComparison.Ordinal);
        await Gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10), _fixture.Alice.Process);
        var before = await Gateway.SessionOfAsync("alice");

        long received = Iperf(seconds: 3);

        var after = await Gateway.SessionOfAsync("alice");
        long overDtls = Dtls(after, "bytesIn") - Dtls(before, "bytesIn");
        long total = Number(after, "bytesIn") - Number(before, "bytesIn");
        // What the iperf3 server received (plus TCP/IP headers) went in over DTLS, and (nearly) nothing over TLS.
        Assert.True(overDtls >= received, $"{overDtls} bytes arrived over DTLS for the {received} bytes the iperf3 server received.");
        Assert.True(total - overDtls < total / 100, $"{total - overDtls} of {total} bytes arrived over TLS.");
        Assert.True(Dtls(after, "bytesOut") > Dtls(before, "bytesOut"));
        Assert.Equal("DTLS", after["channel"]!.GetValue<string>());
        Assert.Equal(NetworkTopology.ClientAddress, IPEndPoint.Parse(after["dtls"]!["client"]!.GetValue<string>()).Address.ToString());

        var scrape = Gateway.Topology.Exec(Gateway.Topology.Gateway, "curl", "-s", "-m", "5", "http://127.0.0.1:9464/metrics").EnsureSuccess().StandardOutput;
        Assert.Matches("opentunnel_gateway_dtls_handshakes_total\\{[^}]*result=\"succeeded\"[^}]*\\} [1-9]", scrape);
        Assert.Matches("opentunnel_gateway_dtls_channels_active(\\{[^}]*\\})? [1-9]", scrape);
        Assert.Matches("opentunnel_gateway_sessions_connected\\{[^}]*channel=\"dtls\"[^}]*\\} 1", scrape);
        Assert.Matches("opentunnel_gateway_dtls_bytes_total\\{[^}]*direction=\"from_client\"[^}]*\\} [1-9][0-9]{6}", scrape);
    }

    /// <summary>
    /// Network:DtlsWindowClamp: a download from the corp host to alice over DTLS. The corp host's
    /// iperf3 reports the largest window alice's TCP advertised to it: held to the gateway's floor
    /// of 256 KiB while alice is on DTLS, where without the clamp Linux grows it to megabytes.
    /// </summary>
    [Fact]
    public async Task DtlsWindowClamp_DownloadOverDtls_TheClientsWindowIsHeldDownUntilSwitchedOff()
    {
        await Gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10), _fixture.Alice.Process);
        long clamped = await Gateway.LargestClientWindowInADownloadAsync(WindowIperfPort);
        long free = await Gateway.WithNetworkSettingOffAsync("DtlsWindowClamp", () => Gateway.LargestClientWindowInADownloadAsync(WindowIperfPort));

        Assert.Equal("DTLS", (await Gateway.SessionOfAsync("alice"))["channel"]!.GetValue<string>());
        Assert.InRange(clamped, 1, 1024 * 1024);
        Assert.True(free > 2 * clamped, $"Without the clamp the window reached {free} bytes, with it {clamped}.");
    }

    [Fact]
    public async Task GarbageAndReplayBurst_WhileConnected_DroppedAndCountedClientUnaffected()
    {
        await Gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10), _fixture.Alice.Process);
        byte[][] captured = CaptureClientRecords(count: 10);
        var dropsBefore = await DropsAsync();
        string clientOutputBefore = _fixture.Alice.Process.Output;

        // Replays: the very records openconnect sent, again, from its own address and port.
        // Garbage: the same headers with random bytes, and random datagrams from another port.
        // The UDP checksum is zeroed ("none" in IPv4): over veth the captured one is only partial (offload).
        var burst = new List<byte[]>();
        for (int i = 0; i < 5; i++)
        {
            foreach (byte[] packet in captured)
            {
                byte[] replay = (byte[])packet.Clone();
                replay[26] = 0;
                replay[27] = 0;
                burst.Add(replay);
            }
        }

        foreach (byte[] packet in captured)
        {
            byte[] garbage = (byte[])packet.Clone();
            Random.Shared.NextBytes(garbage.AsSpan(28));
            garbage[28] = 23;
            garbage[26] = 0;
            garbage[27] = 0;
            burst.Add(garbage);
        }

        SendRawPackets(burst);
        SendFromOtherPort(count: 50);

        // The gateway counts the burst while this test reads the counters (a status call can land
        // between two datagrams of one receive batch), so it waits for all three counts together
        // instead of reading the others once the replays are in.
        await WaitForDropsAsync(after =>
            after["replayed"] - dropsBefore["replayed"] >= 40 &&
            after["authentication_failed"] + after["malformed"] + after["wrong_epoch"]
                - dropsBefore["authentication_failed"] - dropsBefore["malformed"] - dropsBefore["wrong_epoch"] >= 5 &&
            after["unknown_peer"] - dropsBefore["unknown_peer"] >= 50);

        // The client noticed nothing: DTLS still up, no reconnect, traffic still over DTLS.
        var before = await Gateway.SessionOfAsync("alice");
        Iperf(seconds: 1);
        var after = await Gateway.SessionOfAsync("alice");
        Assert.True(Dtls(after, "bytesIn") > Dtls(before, "bytesIn"));
        Assert.Equal("DTLS", after["channel"]!.GetValue<string>());
        string newOutput = _fixture.Alice.Process.Output[clientOutputBefore.Length..];
        Assert.DoesNotContain("Dead Peer", newOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Established DTLS", newOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fallback_UdpDroppedDuringTransfer_CompletesOverTlsThenReturnsToDtls()
    {
        await Gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(10), _fixture.Alice.Process);
        string address = _fixture.Alice.Address;
        int signIns = Count(Gateway.Process.Output, "Sign-in of alice");
        int establishedBefore = Count(_fixture.Alice.Process.Output, "Established DTLS connection");
        var before = await Gateway.SessionOfAsync("alice");

        // 35 s: after DTLS is declared dead (about 13 s in, later on a loaded machine) TCP may sit in
        // a retransmission back-off of several seconds before it sends again, over TLS.
        var transfer = Task.Run(() => IperfReport(seconds: 35));
        await Task.Delay(TimeSpan.FromSeconds(3));
        DropUdpToGateway();
        try
        {
            // openconnect declares DTLS dead after 2 × X-DTLS-DPD (10 s) and sends over TLS; the gateway follows.
            await Gateway.WaitForChannelAsync("alice", "TLS", TimeSpan.FromSeconds(30), _fixture.Alice.Process);
            var report = await transfer.WaitAsync(TimeSpan.FromSeconds(60));
            var during = await Gateway.SessionOfAsync("alice");
            long overTls = (Number(during, "bytesIn") - Number(before, "bytesIn")) - (Dtls(during, "bytesIn") - Dtls(before, "bytesIn"));
            // The transfer went on to its end with UDP still dropped: its last seconds moved data, over TLS.
            var intervals = report["intervals"]!.AsArray();
            Assert.All(intervals.TakeLast(3), i => Assert.True(i!["sum"]!["bytes"]!.GetValue<long>() > 0, "iperf3 stalled at the end: " + i.ToJsonString()));
            Assert.True(overTls > 1_000_000, $"Only {overTls} bytes of the transfer arrived over TLS.");
            Assert.Contains("DTLS Dead Peer Detection detected dead peer", _fixture.Alice.Process.Output, StringComparison.Ordinal);
        }
        finally
        {
            RestoreUdpToGateway();
        }

        // openconnect tries DTLS again every 60 s; the same session resumes over DTLS with the same address.
        await Poll.UntilAsync(() => Count(_fixture.Alice.Process.Output, "Established DTLS connection") > establishedBefore, TimeSpan.FromSeconds(90), "openconnect to establish DTLS again");
        Ping();
        await Gateway.WaitForChannelAsync("alice", "DTLS", TimeSpan.FromSeconds(15), _fixture.Alice.Process);
        var back = await Gateway.SessionOfAsync("alice");
        Assert.Equal(address, back["address"]!.GetValue<string>());
        Assert.Equal(before["id"]!.GetValue<long>(), back["id"]!.GetValue<long>());
        Assert.Equal(signIns, Count(Gateway.Process.Output, "Sign-in of alice"));
        Assert.False(File.Exists(Path.Combine(_fixture.Alice.EnvironmentDirectory, "reconnect")), "openconnect reconnected its TLS link.");
        long dtlsBefore = Dtls(back, "bytesIn");
        Iperf(seconds: 1);
        Assert.True(Dtls(await Gateway.SessionOfAsync("alice"), "bytesIn") > dtlsBefore);
    }

    private static long Number(JsonNode session, string name) => session[name]!.GetValue<long>();

    private static long Dtls(JsonNode session, string name) => session["dtls"]![name]!.GetValue<long>();

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task<Dictionary<string, long>> DropsAsync()
    {
        var dropped = (await Gateway.ControlAsync("status"))!["dtls"]!["dropped"]!.AsObject();
        return dropped.ToDictionary(p => p.Key, p => p.Value!.GetValue<long>());
    }

    private Task WaitForDropsAsync(Func<Dictionary<string, long>, bool> condition) =>
        Poll.UntilAsync(DropsAsync, condition, TimeSpan.FromSeconds(10), drops => "DTLS drop counters: " + string.Join(", ", drops.Select(p => $"{p.Key}={p.Value}")));

    /// <summary>Runs iperf3 from the client to the corp host through the tunnel; returns the bytes the server received.</summary>
    private long Iperf(int seconds) => IperfReport(seconds)["end"]!["sum_received"]!["bytes"]!.GetValue<long>();

    /// <summary>Runs iperf3 from the client to the corp host through the tunnel; returns its JSON report.</summary>
    private JsonNode IperfReport(int seconds)
    {
        var result = Gateway.Topology.Exec(Gateway.Topology.Client, "iperf3",
            ["-c", NetworkTopology.CorpAddress, "-p", IperfPort.ToString(CultureInfo.InvariantCulture), "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J"],
            TimeSpan.FromSeconds(seconds + 60)).EnsureSuccess();
        return JsonNode.Parse(result.StandardOutput)!;
    }

    private void Ping() =>
        Gateway.Topology.Exec(Gateway.Topology.Client, "ping", "-c", "3", "-i", "0.2", "-W", "2", NetworkTopology.CorpAddress);

    /// <summary>
    /// Copies of the next DTLS application-data packets openconnect sends to the gateway, whole
    /// IPv4 packets as they arrive in the gateway namespace (a raw UDP socket sees every one).
    /// </summary>
    private byte[][] CaptureClientRecords(int count)
    {
        using var sniffer = NamespaceThread.Run(Gateway.Topology.Gateway, () => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp));
        sniffer.ReceiveTimeout = 5000;
        var pinging = Task.Run(() => Gateway.Topology.Exec(Gateway.Topology.Client, "ping", "-c", "20", "-i", "0.05", NetworkTopology.CorpAddress));
        var captured = new List<byte[]>();
        byte[] buffer = new byte[65535];
        while (captured.Count < count)
        {
            int n = sniffer.Receive(buffer);
            int headerLength = (buffer[0] & 0x0F) * 4;
            if (n > headerLength + 8 + 13 && BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(headerLength + 2)) == GatewayInstance.Port && buffer[headerLength + 8] == 23)
            {
                captured.Add(buffer[..n]);
            }
        }

        pinging.Wait(TimeSpan.FromSeconds(10));
        return [.. captured];
    }

    /// <summary>Sends whole IPv4 packets from the client namespace (raw socket, the headers as given).</summary>
    private void SendRawPackets(IReadOnlyList<byte[]> packets) =>
        NamespaceThread.Run(Gateway.Topology.Client, () =>
        {
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
            var gateway = new IPEndPoint(IPAddress.Parse(NetworkTopology.GatewayPublicAddress), 0);
            foreach (byte[] packet in packets)
            {
                raw.SendTo(packet, gateway);
            }

            return packets.Count;
        });

    private void SendFromOtherPort(int count) =>
        NamespaceThread.Run(Gateway.Topology.Client, () =>
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var gateway = new IPEndPoint(IPAddress.Parse(NetworkTopology.GatewayPublicAddress), GatewayInstance.Port);
            byte[] datagram = new byte[100];
            for (int i = 0; i < count; i++)
            {
                Random.Shared.NextBytes(datagram);
                datagram[0] = 23;
                udp.SendTo(datagram, gateway);
            }

            return count;
        });

    private void DropUdpToGateway()
    {
        var topology = Gateway.Topology;
        topology.Exec(topology.Gateway, "nft", "add", "table", "inet", DropTable).EnsureSuccess();
        topology.Exec(topology.Gateway, "nft", "add", "chain", "inet", DropTable, "in", "{ type filter hook input priority -50; }").EnsureSuccess();
        topology.Exec(topology.Gateway, "nft", "add", "rule", "inet", DropTable, "in", "udp", "dport", GatewayInstance.Port.ToString(CultureInfo.InvariantCulture), "drop").EnsureSuccess();
    }

    private void RestoreUdpToGateway() =>
        Gateway.Topology.Exec(Gateway.Topology.Gateway, "nft", "delete", "table", "inet", DropTable);

    /// <summary>The gateway (DPD 5 s), alice's tunnel with DTLS, and an iperf3 server on the corp host.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient Alice { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Prerequisites.RequireRootAndCommands("iperf3", "ping", "nft");
            Gateway = await GatewayInstance.StartAsync(config => config["Timeouts"] = new JsonObject { ["DpdSeconds"] = 5 });
            Gateway.Topology.Start(Gateway.Topology.Corp, "iperf3", ["-s", "-B", NetworkTopology.CorpAddress, "-p", IperfPort.ToString(CultureInfo.InvariantCulture)]);
            Alice = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice")), "ocdtls");
            await Alice.Process.WaitForOutputAsync("Established DTLS connection", TimeSpan.FromSeconds(20));
        }

        public Task DisposeAsync()
        {
            Alice?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }
    }
}
