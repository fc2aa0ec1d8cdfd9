using OpenTunnel.Gateway.Tests.Auth;
using OpenTunnel.Gateway.Tests.DataPlane;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Gateway.Tests.Connections;

/// <summary>
/// The TLS core end to end without root: TLS handshake, the sign-in exchange, CONNECT and CSTP
/// over in-memory streams, packets through the data plane into an in-memory device and back.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ClientConnectionTests : IClassFixture<TokenIssuerFixture>, IAsyncLifetime
{
    private const string OpenConnectHeaders = "User-Agent: Open AnyConnect VPN Agent v9.01\r\nX-Aggregate-Auth: 1\r\n";
    private readonly TokenIssuerFixture _issuers;
    private readonly InMemoryGateway _gateway;

    public ClientConnectionTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
        _gateway = new InMemoryGateway(issuers);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    [Fact]
    public async Task Get_RootFromAProbe_AnswersTheHealthPage()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        await client.SendAsync("GET / HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Contains("OpenTunnel gateway: up.", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_FromOpenConnectWithoutToken_AnswersTheBearerChallenge()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        await client.SendAsync(Post("<?xml version=\"1.0\"?><config-auth client=\"vpn\" type=\"init\"><version who=\"vpn\">9.01</version></config-auth>"));
        var response = await client.ReadResponseAsync();

        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task Post_WithAValidBearerToken_SetsTheSessionCookie()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        var response = await SignInAsync(client, _issuers.Ec.Mint("alice", "laptop-7"));

        Assert.Equal(200, response.Status);
        string cookie = Cookie(response);
        var session = _gateway.Sessions.Find(cookie);
        Assert.NotNull(session);
        Assert.Equal("alice", session.UserName);
    }

    [Fact]
    public async Task Post_WithAnUntrustedToken_RefusedWithInvalidToken_AndNoSession()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        var response = await SignInAsync(client, _issuers.Other.Mint("mallory"));

        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Header("WWW-Authenticate"));
        Assert.Equal(0, _gateway.Sessions.Count);
    }

    [Fact]
    public async Task Request_Malformed_Answered400AndClosed()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        await client.SendAsync("GARBAGE\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task Connect_UnknownCookie_Refused401WithTheReason()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        await client.SendAsync(Connect(new string('0', 64)));
        var response = await client.ReadResponseAsync();

        Assert.Equal(401, response.Status);
        Assert.Contains("not valid", response.Header("X-Reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ValidCookie_TunnelCarriesPacketsBothWaysThroughTheDevice()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = Cookie(await SignInAsync(client, _issuers.Ec.Mint("alice", "laptop-7")));

        await client.SendAsync(Connect(cookie));
        var answer = await client.ReadResponseAsync();

        Assert.Equal(200, answer.Status);
        string address = answer.Header("X-CSTP-Address")!;
        Assert.StartsWith("198.18.128.", address, StringComparison.Ordinal);
        var session = _gateway.Sessions.Find(cookie)!;
        Assert.Equal("TLS", session.DataPath.Sink?.Name);

        // Client → device: the packet from its own address reaches the device whole.
        byte[] outbound = TestPackets.Ipv4(address, "198.18.2.10");
        await client.SendFrameAsync(CstpPacketType.Data, outbound);
        Assert.True(_gateway.Device.Written.TryTake(out byte[]? written, TimeSpan.FromSeconds(10)));
        Assert.Equal(outbound, written);

        // Device → client: a packet for its address comes back as one CSTP data frame.
        byte[] inbound = TestPackets.Ipv4("198.18.2.10", address);
        _gateway.FromHost(inbound);
        var (type, payload) = await client.ReadFrameAsync();
        Assert.Equal(CstpPacketType.Data, type);
        Assert.Equal(inbound, payload);
        Assert.Equal(1, session.PacketsFromClient);
        Assert.Equal(1, session.PacketsToClient);
    }

    [Fact]
    public async Task Tunnel_PacketWithAForgedSource_DroppedAndCounted()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = Cookie(await SignInAsync(client, _issuers.Ec.Mint("alice")));
        await client.SendAsync(Connect(cookie));
        await client.ReadResponseAsync();

        await client.SendFrameAsync(CstpPacketType.Data, TestPackets.Ipv4("198.18.128.200", "198.18.2.10"));
        await client.SendFrameAsync(CstpPacketType.DpdRequest, [1, 2, 3]);
        var (type, payload) = await client.ReadFrameAsync();

        // The DPD answer proves the forged packet was read before it.
        Assert.Equal(CstpPacketType.DpdResponse, type);
        Assert.Equal(new byte[] { 1, 2, 3 }, payload);
        Assert.Equal(1, _gateway.Counters.Drops(DropReason.SpoofedSource));
        Assert.Empty(_gateway.Device.Written);
    }

    [Fact]
    public async Task Tunnel_ClientSendsDisconnect_SessionEndsAndItsAddressIsFree()
    {
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());
        string cookie = Cookie(await SignInAsync(client, _issuers.Ec.Mint("alice")));
        await client.SendAsync(Connect(cookie));
        await client.ReadResponseAsync();
        Assert.Equal(1, _gateway.AddressPool.LeasedCount);

        await client.SendFrameAsync(CstpPacketType.Disconnect, [0xB0]);

        Assert.True(await client.ClosedByServerAsync());
        await WaitUntilAsync(() => _gateway.Sessions.Count == 0);
        Assert.Null(_gateway.Sessions.Find(cookie));
        Assert.Equal(0, _gateway.AddressPool.LeasedCount);
    }

    [Fact]
    public async Task Tunnel_LinkDrops_SessionWaitsWithItsAddress_AndAReconnectGetsTheSameOne()
    {
        string cookie;
        string first;
        await using (var client = await TestTlsClient.ConnectAsync(_gateway.Connect()))
        {
            cookie = Cookie(await SignInAsync(client, _issuers.Ec.Mint("alice")));
            await client.SendAsync(Connect(cookie));
            first = (await client.ReadResponseAsync()).Header("X-CSTP-Address")!;
        }

        var session = _gateway.Sessions.Find(cookie)!;
        await WaitUntilAsync(() => session.Connection is null);
        Assert.NotNull(session.DataPath.DetachedSince);
        Assert.Null(session.DataPath.Sink);

        await using var again = await TestTlsClient.ConnectAsync(_gateway.Connect("198.18.1.2:40001"));
        await again.SendAsync(Connect(cookie));
        var answer = await again.ReadResponseAsync();

        Assert.Equal(200, answer.Status);
        Assert.Equal(first, answer.Header("X-CSTP-Address"));
        Assert.Equal("198.18.1.2:40001", session.ClientEndPoint.ToString());
    }

    [Fact]
    public async Task Connect_PoolExhausted_Refused503NamingThePool()
    {
        await using var gateway = new InMemoryGateway(_issuers);
        while (gateway.AddressPool.TryLease(out _))
        {
        }

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());
        string cookie = Cookie(await SignInAsync(client, _issuers.Ec.Mint("alice")));
        await client.SendAsync(Connect(cookie));
        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Equal("The address pool is exhausted", response.Header("X-Reason"));
    }

    [Fact]
    public async Task Post_WhileDraining_Refused503()
    {
        _gateway.SignIn.Draining = true;
        await using var client = await TestTlsClient.ConnectAsync(_gateway.Connect());

        var response = await SignInAsync(client, _issuers.Ec.Mint("alice"));

        Assert.Equal(503, response.Status);
        Assert.Equal(0, _gateway.Sessions.Count);
    }

    internal static async Task<TestResponse> SignInAsync(TestTlsClient client, string token)
    {
        await client.SendAsync($"POST / HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}Authorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n");
        return await client.ReadResponseAsync();
    }

    internal static string Connect(string cookie) =>
        $"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}Cookie: webvpn={cookie}\r\nX-CSTP-Version: 1\r\nX-CSTP-Base-MTU: 1500\r\n\r\n";

    internal static string Cookie(TestResponse response)
    {
        string setCookie = response.Header("Set-Cookie") ?? throw new InvalidOperationException($"no Set-Cookie in a {response.Status} answer");
        return setCookie.Split(';')[0]["webvpn=".Length..];
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(10);
        }
    }

    private static string Post(string body) =>
        $"POST / HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}Content-Type: application/xml\r\nContent-Length: {body.Length}\r\n\r\n{body}";
}
