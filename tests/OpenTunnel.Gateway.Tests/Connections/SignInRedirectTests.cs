using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tests.Auth;

namespace OpenTunnel.Gateway.Tests.Connections;

/// <summary>
/// The HTTP answer of a gateway with LoadBalancing:Mode Redirect, over real TLS: the first
/// request of a new sign-in goes to the least-loaded peer with a 302 and the connection closes;
/// a reconnect, a redirected request, a probe or an unloaded gateway is served here.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SignInRedirectTests : IClassFixture<TokenIssuerFixture>
{
    private const string OpenConnectHeaders = "User-Agent: Open AnyConnect VPN Agent v9.01\r\nX-Aggregate-Auth: 1\r\n";
    private const string Init = "<?xml version=\"1.0\"?><config-auth client=\"vpn\" type=\"init\"><version who=\"vpn\">9.01</version><group-access>https://198.18.0.2:443/</group-access></config-auth>";
    private readonly TokenIssuerFixture _issuers;

    public SignInRedirectTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
    }

    [Fact]
    public async Task InitPost_LoadedGateway_Redirected302ToTheLeastLoadedPeer_WithTheMarker_AndClosed()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0), Peer("198.18.0.4:443", sessions: 3));
        using var redirects = new MetricCollector<long>(gateway.Metrics.Meter, "opentunnel.gateway.sign_ins.redirected");
        await SignInOneAsync(gateway);

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.3:40000"));
        await client.SendAsync(Post("/", Init));
        var response = await client.ReadResponseAsync();

        Assert.Equal(302, response.Status);
        Assert.Equal("https://198.18.0.3:443/?ot-redirected=1", response.Header("Location"));
        Assert.True(await client.ClosedByServerAsync());
        var counted = Assert.Single(redirects.GetMeasurementSnapshot());
        Assert.Equal("load", counted.Tags["reason"]);
    }

    [Fact]
    public async Task InitPost_WithTheMarker_ServedHere_EvenWhenLoaded()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0));
        await SignInOneAsync(gateway);

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.3:40000"));
        await client.SendAsync(Post("/?ot-redirected=1", Init));
        var response = await client.ReadResponseAsync();

        Assert.Equal(401, response.Status);
        Assert.Equal("Bearer", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task InitPost_WithASessionCookie_ServedHere()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0));
        await SignInOneAsync(gateway);

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.3:40000"));
        await client.SendAsync(Post("/", Init, "Cookie: webvpn=" + new string('0', 64) + "\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task InitPost_PeerAsLoadedAsThisGateway_ServedHere()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 1));
        await SignInOneAsync(gateway);

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.3:40000"));
        await client.SendAsync(Post("/", Init));
        var response = await client.ReadResponseAsync();

        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task BearerPost_DrainingGateway_RedirectedEvenToAMoreLoadedPeer()
    {
        await using var gateway = Gateway(Peer("vpn2.opentunnel.test:8443", sessions: 40));
        using var redirects = new MetricCollector<long>(gateway.Metrics.Meter, "opentunnel.gateway.sign_ins.redirected");
        gateway.SignIn.Draining = true;

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());
        await client.SendAsync($"POST /group HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}Authorization: Bearer {_issuers.Ec.Mint("bob")}\r\nContent-Length: 0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(302, response.Status);
        Assert.Equal("https://vpn2.opentunnel.test:8443/group?ot-redirected=1", response.Header("Location"));
        Assert.Equal("draining", Assert.Single(redirects.GetMeasurementSnapshot()).Tags["reason"]);
        Assert.Equal(0, gateway.Sessions.Count);
    }

    [Fact]
    public async Task DrainingGateway_OnlyAnUnhealthyPeer_RefusesAsADrainDoes()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0, healthy: false));
        gateway.SignIn.Draining = true;

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());
        var response = await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint("bob"));

        Assert.Equal(503, response.Status);
    }

    [Fact]
    public async Task ModeOff_LoadedGateway_ServedHere()
    {
        await using var gateway = new InMemoryGateway(_issuers, loadBalancing: new LoadBalancingOptions { Peers = [Peer("198.18.0.3:443", sessions: 0)] });
        await SignInOneAsync(gateway);

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.3:40000"));
        await client.SendAsync(Post("/", Init));

        Assert.Equal(401, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task HealthProbe_NeverRedirected()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0));
        gateway.SignIn.Draining = true;

        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());
        await client.SendAsync("GET / HTTP/1.1\r\nHost: gateway.test\r\n\r\n");

        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task SecondSignInRequestOfAConnection_NeverRedirected()
    {
        await using var gateway = Gateway(Peer("198.18.0.3:443", sessions: 0));
        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());

        // The first request is served here (this gateway holds no session yet)...
        await client.SendAsync(Post("/", Init));
        Assert.Equal(401, (await client.ReadResponseAsync()).Status);
        await SignInOneAsync(gateway);

        // ...so the token that follows on the same connection signs in here although it is now loaded.
        var response = await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint("carol"));

        Assert.Equal(200, response.Status);
    }

    private InMemoryGateway Gateway(params PeerOptions[] peers) =>
        new(_issuers, loadBalancing: new LoadBalancingOptions { Mode = LoadBalancingMode.Redirect, ThresholdPercent = 20, Peers = peers });

    private static PeerOptions Peer(string address, int sessions, bool healthy = true) =>
        new() { Address = address, Sessions = sessions, Healthy = healthy, ReportedAt = DateTimeOffset.UtcNow };

    /// <summary>Makes the gateway hold one session, signed in on a connection of its own (the mark of a redirect lets it in).</summary>
    private async Task SignInOneAsync(InMemoryGateway gateway)
    {
        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.9:40000"));
        await client.SendAsync($"POST /?ot-redirected=1 HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}Authorization: Bearer {_issuers.Ec.Mint("alice-" + Guid.NewGuid().ToString("N")[..6])}\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    private static string Post(string target, string body, string extraHeaders = "") =>
        $"POST {target} HTTP/1.1\r\nHost: gateway.test\r\n{OpenConnectHeaders}{extraHeaders}Content-Type: application/xml\r\nContent-Length: {body.Length}\r\n\r\n{body}";
}
