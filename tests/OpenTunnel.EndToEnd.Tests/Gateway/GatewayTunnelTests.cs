using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// One gateway process and one connected openconnect client (alice) shared by the class: the
/// tunnel, PAT, split include, DNS settings, forged sources, reconnect, terminate and refusals,
/// all with Debian's openconnect 9.01 against the real gateway in network namespaces.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class GatewayTunnelTests : IClassFixture<GatewayTunnelTests.Fixture>
{
    private readonly Fixture _fixture;

    public GatewayTunnelTests(Fixture fixture)
    {
        _fixture = fixture;
    }

    private GatewayInstance Gateway => _fixture.Gateway;

    [Fact]
    public void Tunnel_OpenConnectWithBearerToken_ReachesCorpServerFromTheGatewayAddress()
    {
        string seen = Curl(NetworkTopology.CorpAddress, _fixture.Corp.Port);

        // The corp host has no route back to the client or the pool: it answers only because
        // the gateway translated the source to its own corp-side address.
        Assert.Equal(NetworkTopology.GatewayCorpAddress, seen);
        Assert.True(IPNetwork.Parse(GatewayInstance.Pool).Contains(IPAddress.Parse(_fixture.Alice.Address)));
        Assert.NotEqual("198.18.128.1", _fixture.Alice.Address);
    }

    [Fact]
    public void Tunnel_IPv6_ReachesCorpServerFromTheGatewayIPv6Address()
    {
        var environment = _fixture.Alice.Environment();
        string seen = Gateway.Topology.Exec(Gateway.Topology.Client, "curl", "-s", "-m", "5", $"http://[{NetworkTopology.CorpAddress6}]:{_fixture.Corp6.Port}/").EnsureSuccess().StandardOutput;

        Assert.True(IPNetwork.Parse(GatewayInstance.Pool6).Contains(IPAddress.Parse(environment["INTERNAL_IP6_ADDRESS"])));
        Assert.Equal("2001:db8:2::", environment["CISCO_IPV6_SPLIT_INC_0_ADDR"]);
        Assert.Equal("2001:db8:2::1", seen);
    }

    [Fact]
    public void Connect_ScriptEnvironment_CarriesDnsSuffixSplitIncludeAndMtu()
    {
        var environment = _fixture.Alice.Environment();

        Assert.Equal("198.18.2.53", environment["INTERNAL_IP4_DNS"]);
        Assert.Equal("corp.opentunnel.test", environment["CISCO_DEF_DOMAIN"]);
        Assert.Equal("255.255.255.0", environment["INTERNAL_IP4_NETMASK"]);
        Assert.Equal("1", environment["CISCO_SPLIT_INC"]);
        Assert.Equal("198.18.2.0", environment["CISCO_SPLIT_INC_0_ADDR"]);
        Assert.Equal("24", environment["CISCO_SPLIT_INC_0_MASKLEN"]);
        // Over the topology's 1500-byte links, as ocserv: the TCP path MTU is TCP_INFO's, where the
        // MSS plus 40 would leave out the 12 bytes of the TCP timestamps option and announce 1422.
        Assert.Equal("1434", environment["INTERNAL_IP4_MTU"]);
    }

    [Fact]
    public void SplitInclude_InternetServer_IsReachedWithoutTheTunnel()
    {
        string seen = Curl(NetworkTopology.InternetAddress, _fixture.Internet.Port);
        var route = Gateway.Topology.Exec(Gateway.Topology.Client, "ip", "route", "get", NetworkTopology.InternetAddress).EnsureSuccess();

        Assert.Equal(NetworkTopology.ClientAddress, seen);
        Assert.DoesNotContain(_fixture.Alice.InterfaceName, route.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgedSource_PacketSentIntoTheTunnel_NeverReachesCorpAndIsCounted()
    {
        using var corp = NamespaceThread.Run(Gateway.Topology.Corp, () => new UdpClient(new IPEndPoint(IPAddress.Parse(NetworkTopology.CorpAddress), 0)));
        int port = ((IPEndPoint)corp.Client.LocalEndPoint!).Port;
        long before = await Gateway.DropsAsync("spoofed_source");

        SendRawUdp("198.18.128.200", port, "forged"u8);
        var forged = corp.ReceiveAsync();
        var arrived = await Task.WhenAny(forged, Task.Delay(1500));

        Assert.NotSame(forged, arrived);
        Assert.True(await Gateway.DropsAsync("spoofed_source") > before);

        // The same datagram with the client's own address does arrive (translated), so the drop
        // above was the source check and not a broken path.
        SendRawUdp(_fixture.Alice.Address, port, "genuine"u8);
        var genuine = await forged.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("genuine"u8.ToArray(), genuine.Buffer);
        Assert.Equal(IPAddress.Parse(NetworkTopology.GatewayCorpAddress), genuine.RemoteEndPoint.Address);
    }

    [Fact]
    public async Task Reconnect_AfterTheTlsLinkIsKilled_GetsTheSameAddress()
    {
        string address = _fixture.Alice.Address;
        int reconnectsBefore = Reconnects().Count;

        // Kill the TCP connection inside the gateway namespace; openconnect reconnects with its cookie.
        Gateway.Topology.Exec(Gateway.Topology.Gateway, "ss", "-K", "-tn", "sport", "=", ":" + GatewayInstance.Port).EnsureSuccess();
        await _fixture.Alice.WaitForScriptAsync("reconnect", TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => Reconnects().Count > reconnectsBefore, TimeSpan.FromSeconds(15), "the gateway to log the reconnect");

        Assert.Equal(address, _fixture.Alice.Environment("reconnect")["INTERNAL_IP4_ADDRESS"]);
        Assert.Contains($"address {address}", Reconnects()[^1], StringComparison.Ordinal);
        Assert.Equal(NetworkTopology.GatewayCorpAddress, Curl(NetworkTopology.CorpAddress, _fixture.Corp.Port));
    }

    [Fact]
    public async Task Terminate_RevokesTheCookie_SoTheClientCannotComeBack()
    {
        var signIn = OpenConnectClient.Authenticate(Gateway, Gateway.TokenFile(Gateway.MintToken("terry")));
        signIn.EnsureSuccess();
        string cookie = CookieLine().Match(signIn.StandardOutput).Groups[1].Value;
        using var client = await OpenConnectClient.ConnectWithCookieAsync(Gateway, cookie, "octerry");

        await Gateway.ControlAsync("terminate", "terry");
        await client.Process.WaitForExitAsync(TimeSpan.FromSeconds(15));
        using var again = await OpenConnectClient.ConnectWithCookieAsync(Gateway, cookie, "octerry2", waitForTunnel: false);
        int exit = await again.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("Received server disconnect", client.Process.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, exit);
        Assert.Contains("401", again.Process.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(again.EnvironmentDirectory, "connect")));
        await Gateway.Process.WaitForOutputAsync("refused on CONNECT", TimeSpan.FromSeconds(15));
    }

    [Theory]
    [InlineData("expired", "token-expired")]
    [InlineData("wrong-audience", "token-wrong-audience")]
    [InlineData("missing-claim", "token-missing-claim")]
    public async Task SignIn_BadToken_IsRefusedAndTheLogNamesTheCheck(string kind, string check)
    {
        string token = kind switch
        {
            "expired" => Gateway.MintToken("eve", issuedAt: DateTimeOffset.UtcNow.AddHours(-3), lifetime: TimeSpan.FromHours(1)),
            "wrong-audience" => Gateway.MintToken("eve", audience: "some-other-service"),
            _ => Gateway.MintToken("eve", compliant: false),
        };

        var result = OpenConnectClient.Authenticate(Gateway, Gateway.TokenFile(token));

        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("COOKIE=", result.StandardOutput, StringComparison.Ordinal);
        await Gateway.Process.WaitForOutputAsync($"Sign-in from {NetworkTopology.ClientAddress} refused by check {check}", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(token, Gateway.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void SignIn_TokenInTheFormPasswordField_GetsACookie()
    {
        string token = Gateway.MintToken("fiona");
        Assert.True(token.Length < 1024, "openconnect reads at most 1024 characters from --passwd-on-stdin");

        var result = OpenConnectClient.AuthenticateWithForm(Gateway, token);

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
        Assert.Matches(CookieLine(), result.StandardOutput);
    }

    /// <summary>The gateway's /healthz/ready as a load balancer sees it: the body, a space, the status code.</summary>
    private string Ready() =>
        Gateway.Topology.Exec(Gateway.Topology.Gateway, "curl", "-s", "-m", "5", "-w", " %{http_code}", "http://127.0.0.1:9464/healthz/ready").StandardOutput;

    [Fact]
    public async Task Cli_DrainThenOff_ReadinessFollows_AndApply_OverTheControlSocket()
    {
        string[] control = ["--control", Gateway.ControlSocket];
        CommandResult drained;
        bool draining;
        string readyWhileDraining;
        try
        {
            drained = Cli(["drain", .. control]);
            draining = (await Gateway.ControlAsync("status"))!["draining"]!.GetValue<bool>();
            readyWhileDraining = Ready();
        }
        finally
        {
            Cli(["drain", "--off", .. control]);
        }

        bool afterOff = (await Gateway.ControlAsync("status"))!["draining"]!.GetValue<bool>();
        string readyAfterOff = Ready();
        string bad = Gateway.Directory.File("bad-apply.json");
        File.WriteAllText(bad, File.ReadAllText(Gateway.ConfigFile).Replace("198.18.2.53", "not-an-address", StringComparison.Ordinal));
        CommandResult refused = Cli(["apply", bad, .. control]);
        CommandResult applied = Cli(["apply", Gateway.ConfigFile, "--json", .. control]);

        Assert.True(drained.Succeeded, drained.StandardError);
        Assert.Contains("draining: true", drained.StandardOutput, StringComparison.Ordinal);
        Assert.True(draining);
        Assert.EndsWith(" 503", readyWhileDraining, StringComparison.Ordinal);
        Assert.Contains("\"accepting-sessions\":\"Unhealthy\"", readyWhileDraining, StringComparison.Ordinal);
        Assert.False(afterOff);
        Assert.EndsWith(" 200", readyAfterOff, StringComparison.Ordinal);
        Assert.Contains("\"certificate\":\"Healthy\"", readyAfterOff, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Network:DnsServers:0 'not-an-address' is not an IP address", refused.StandardError, StringComparison.Ordinal);
        Assert.True(applied.Succeeded, applied.StandardError);
        Assert.Equal("control apply", JsonNode.Parse(applied.StandardOutput)!["origin"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reload_BadConfiguration_IsRefusedByNameAndTheRunningOneStays()
    {
        string bad = Gateway.Directory.File("bad.json");
        File.WriteAllText(bad, File.ReadAllText(Gateway.ConfigFile).Replace("198.18.2.53", "not-an-address", StringComparison.Ordinal));
        var before = (await Gateway.ControlAsync("status"))!["configuration"]!["appliedAt"]!.GetValue<DateTimeOffset>();

        var refused = await Assert.ThrowsAsync<ControlRefusedException>(() => Gateway.ControlAsync(new JsonObject { ["command"] = "reload", ["file"] = bad }));
        var reloaded = await Gateway.ControlAsync(new JsonObject { ["command"] = "reload" });

        Assert.Contains("Network:DnsServers:0 'not-an-address' is not an IP address", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Gateway.ConfigFile, reloaded!["origin"]!.GetValue<string>());
        Assert.True(reloaded["appliedAt"]!.GetValue<DateTimeOffset>() > before);
        Assert.Equal("198.18.2.53", _fixture.Alice.Environment()["INTERNAL_IP4_DNS"]);
    }

    [Fact]
    public async Task Reload_NewCertificateFile_IsServedWithoutARestart()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=renewed.opentunnel.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        string pem = Gateway.Directory.File("renewed.pem");
        File.WriteAllText(pem, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        string pin = CertificatePins.HashOf(certificate);
        var config = JsonNode.Parse(File.ReadAllText(Gateway.ConfigFile))!.AsObject();
        config["Tls"] = new JsonObject { ["CertificateFile"] = pem };
        string renewedConfig = Gateway.Directory.File("renewed.json");
        File.WriteAllText(renewedConfig, config.ToJsonString());
        try
        {
            await Gateway.ControlAsync(new JsonObject { ["command"] = "reload", ["file"] = renewedConfig });
            var status = await Gateway.ControlAsync("status");
            var signIn = Gateway.Topology.Exec(Gateway.Topology.Client, "openconnect",
                ["--authenticate", "--non-inter", "--token-mode=oidc", "--token-secret=@" + Gateway.TokenFile(Gateway.MintToken("renata")), "--servercert", "pin-sha256:" + pin, Gateway.Url],
                TimeSpan.FromSeconds(20));

            Assert.Equal(pin, status!["certificate"]!["pinSha256"]!.GetValue<string>());
            Assert.True(signIn.Succeeded, signIn.StandardOutput + signIn.StandardError);
        }
        finally
        {
            await Gateway.ControlAsync(new JsonObject { ["command"] = "reload", ["file"] = Gateway.ConfigFile });
        }

        Assert.Equal(Gateway.Pin, (await Gateway.ControlAsync("status"))!["certificate"]!["pinSha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_Scrape_ShowsSessionsSignInsHandshakesAndTheCertificatesEnd()
    {
        var scrape = Gateway.Topology.Exec(Gateway.Topology.Gateway, "curl", "-s", "-m", "5", "http://127.0.0.1:9464/metrics").EnsureSuccess();

        Assert.Matches(@"opentunnel_gateway_sessions_active(\{[^}]*\})? [1-9]", scrape.StandardOutput);
        Assert.Matches("opentunnel_gateway_sign_ins_total\\{[^}]*reason=\"none\",result=\"success\"[^}]*\\}", scrape.StandardOutput);
        Assert.Contains("opentunnel_gateway_tls_handshake_duration_seconds_count", scrape.StandardOutput, StringComparison.Ordinal);
        Assert.Matches("opentunnel_gateway_bytes_total\\{[^}]*direction=\"to_client\"[^}]*\\}", scrape.StandardOutput);
        long notAfter = long.Parse(System.Text.RegularExpressions.Regex.Match(scrape.StandardOutput, "opentunnel_gateway_tls_certificate_not_after_seconds\\{[^}]*\\} ([0-9.e+E]+)\n").Groups[1].Value,
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
        DateTimeOffset certificateEnd = (await Gateway.ControlAsync("status"))!["certificate"]!["notAfter"]!.GetValue<DateTimeOffset>();
        Assert.Equal(certificateEnd.ToUnixTimeSeconds(), notAfter);
    }

    [Fact]
    public async Task UdpDisabled_Connect_OffersNoDtlsAndNoUdpSocketListens()
    {
        var status = await Gateway.ControlAsync("status");
        var udp = Gateway.Topology.Exec(Gateway.Topology.Gateway, "ss", "-uln").EnsureSuccess();

        Assert.Null(status!["dtls"]);
        Assert.DoesNotContain(":" + GatewayInstance.Port, udp.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Established DTLS", _fixture.Alice.Process.Output, StringComparison.Ordinal);
        Assert.Contains("DTLS is off (Udp:Enabled is false)", Gateway.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void HealthProbe_PlainGet_Answers200WithoutSignIn()
    {
        var probe = Gateway.Topology.Exec(Gateway.Topology.Client, "curl", "-sk", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", Gateway.Url + "/").EnsureSuccess();

        Assert.Equal("200", probe.StandardOutput);
    }

    [Fact]
    public async Task Sessions_ControlApi_ListsAliceWithHerAddressAndDevice()
    {
        var sessions = (await Gateway.ControlAsync("sessions"))!.AsArray();

        var alice = Assert.Single(sessions, s => s!["user"]!.GetValue<string>() == "alice");
        Assert.Equal(_fixture.Alice.Address, alice!["address"]!.GetValue<string>());
        Assert.Equal("device-alice", alice["deviceId"]!.GetValue<string>());
        Assert.Equal("TLS", alice["channel"]!.GetValue<string>());
        Assert.Null(alice["dtls"]);
        Assert.StartsWith(NetworkTopology.ClientAddress + ":", alice["client"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private string Curl(string address, int port) =>
        Gateway.Topology.Exec(Gateway.Topology.Client, "curl", "-s", "-m", "5", $"http://{address}:{port}/").EnsureSuccess().StandardOutput;

    private List<string> Reconnects() =>
        [.. Gateway.Process.Output.Split('\n').Where(line => line.Contains("of alice connected", StringComparison.Ordinal) && line.Contains("(reconnect)", StringComparison.Ordinal))];

    /// <summary>Sends a UDP datagram to the corp host through the client's routes with a source address of our choosing (a raw socket, IP_HDRINCL).</summary>
    private void SendRawUdp(string source, int port, ReadOnlySpan<byte> payload)
    {
        byte[] packet = new byte[28 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(NetworkTopology.CorpAddress).TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(packet.AsSpan(28));
        NamespaceThread.Run(Gateway.Topology.Client, () =>
        {
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
            return raw.SendTo(packet, new IPEndPoint(IPAddress.Parse(NetworkTopology.CorpAddress), 0));
        });
    }

    [GeneratedRegex("COOKIE='([^']+)'")]
    internal static partial Regex CookieLine();

    /// <summary>The shared gateway, alice's tunnel and the two echo servers.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public GatewayInstance Gateway { get; private set; } = null!;

        public OpenConnectClient Alice { get; private set; } = null!;

        public SourceEchoServer Corp { get; private set; } = null!;

        public SourceEchoServer Internet { get; private set; } = null!;

        public SourceEchoServer Corp6 { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            // UDP off: these tests exercise the TLS data path (and Udp:Enabled=false itself); DtlsTunnelTests covers DTLS.
            Gateway = await GatewayInstance.StartAsync(config => config["Udp"] = new JsonObject { ["Enabled"] = false });
            Corp = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress);
            Corp6 = SourceEchoServer.Start(Gateway.Topology.Corp, NetworkTopology.CorpAddress6);
            Internet = SourceEchoServer.Start(Gateway.Topology.Internet, NetworkTopology.InternetAddress);
            Alice = await OpenConnectClient.ConnectWithTokenAsync(Gateway, Gateway.TokenFile(Gateway.MintToken("alice")), "ocalice");
        }

        public Task DisposeAsync()
        {
            Alice?.Dispose();
            Corp?.Dispose();
            Corp6?.Dispose();
            Internet?.Dispose();
            Gateway?.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>The gateway's command line as an operator runs it, from the root namespace (the socket is a file).</summary>
    private static CommandResult Cli(string[] args) => Command.Run("dotnet", [GatewayInstance.GatewayAssembly(), .. args], TimeSpan.FromSeconds(30));
}
