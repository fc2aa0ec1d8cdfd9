using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tests.Auth;

namespace OpenTunnel.Gateway.Tests.Connections;

/// <summary>
/// The pre-authentication limits on real TLS connections over in-memory streams (issue #12,
/// item 3): the absolute deadline, the per-address limit, the budget that a sign-in leaves, the
/// ban that malformed requests earn and its refusal before the TLS handshake.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PreAuthConnectionTests : IClassFixture<TokenIssuerFixture>
{
    private const string Probe = "GET / HTTP/1.1\r\nHost: gateway.test\r\n\r\n";
    private readonly TokenIssuerFixture _issuers;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    public PreAuthConnectionTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
    }

    [Fact]
    public async Task KeepAliveRequests_DoNotExtendThePreAuthDeadline()
    {
        await using var gateway = new InMemoryGateway(_issuers, new LimitOptions { PreAuthTimeoutSeconds = 60 }, _time);
        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());

        for (int i = 0; i < 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(25));
            await client.SendAsync(Probe);
            Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        }

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(await client.ClosedByServerAsync());
        await ClientConnectionTests.WaitUntilAsync(() => gateway.Gate.Budget.Count == 0);
    }

    [Fact]
    public async Task SignIn_LeavesTheBudget_AndTheTunnelOutlivesTheDeadline()
    {
        await using var gateway = new InMemoryGateway(_issuers, new LimitOptions { PreAuthTimeoutSeconds = 60 }, _time);
        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect());
        Assert.Equal(1, gateway.Gate.Budget.Count);

        string cookie = ClientConnectionTests.Cookie(await ClientConnectionTests.SignInAsync(client, _issuers.Ec.Mint("alice")));
        Assert.Equal(0, gateway.Gate.Budget.Count);
        await client.SendAsync(ClientConnectionTests.Connect(cookie));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.NotNull(gateway.Sessions.Find(cookie)!.Connection);
    }

    [Fact]
    public async Task PerAddressLimit_RefusesTheNextConnectionFromThatAddressOnly()
    {
        await using var gateway = new InMemoryGateway(_issuers, new LimitOptions { MaxPreAuthPerAddress = 2 }, _time);
        await using var first = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40001"));
        await using var second = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40002"));

        await Assert.ThrowsAnyAsync<IOException>(() => TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40003")));

        await using var other = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.2:40000"));
        var response = await ClientConnectionTests.SignInAsync(other, _issuers.Ec.Mint("alice"));
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task FullBudget_AFreshAddressTakesTheSlotOfTheHeaviestAddress()
    {
        await using var gateway = new InMemoryGateway(_issuers, new LimitOptions { MaxPreAuthConnections = 2, MaxPreAuthPerAddress = 2 }, _time);
        await using var oldest = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40001"));
        await using var newer = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40002"));

        await using var fresh = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.2:40000"));

        Assert.True(await oldest.ClosedByServerAsync());
        Assert.Equal(200, (await ClientConnectionTests.SignInAsync(fresh, _issuers.Ec.Mint("alice"))).Status);
        await newer.SendAsync(Probe);
        Assert.Equal(200, (await newer.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task MalformedRequests_BanTheAddress_UntilUnbanned()
    {
        var limits = new LimitOptions { BanScore = 20, BanPointsMalformedRequest = 10 };
        await using var gateway = new InMemoryGateway(_issuers, limits, _time);
        for (int i = 0; i < 2; i++)
        {
            await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40000"));
            await client.SendAsync("GARBAGE\r\n\r\n");
            Assert.Equal(400, (await client.ReadResponseAsync()).Status);
        }

        Assert.True(gateway.SignIn.Bans.IsBanned(System.Net.IPAddress.Parse("198.18.1.100")));
        await Assert.ThrowsAnyAsync<IOException>(() => TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40001")));
        await using (var other = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.2:40000")))
        {
            await other.SendAsync(Probe);
            Assert.Equal(200, (await other.ReadResponseAsync()).Status);
        }

        Assert.True(gateway.SignIn.Unban(Gateway.SignIn.ClientAddressKey.From(System.Net.IPAddress.Parse("198.18.1.100"))));
        await using var again = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40002"));
        await again.SendAsync(Probe);
        Assert.Equal(200, (await again.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ForgedTokens_BanTheAddress_ButExpiredGenuineOnesDoNot()
    {
        var limits = new LimitOptions { BanScore = 20, BanPointsRefusedSignIn = 10 };
        await using var gateway = new InMemoryGateway(_issuers, limits, _time);
        await using var client = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.100:40000"));
        await using var stale = await TestTlsClient.ConnectAsync(gateway.Connect("198.18.1.2:40000"));

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await ClientConnectionTests.SignInAsync(stale, _issuers.Ec.Mint(new Gateway.Auth.DevelopmentTokenRequest
            {
                Subject = "bob",
                UserName = "bob",
                IssuedAt = DateTimeOffset.UtcNow.AddHours(-2),
                NotBefore = DateTimeOffset.UtcNow.AddHours(-2),
                Lifetime = TimeSpan.FromHours(1),
            }))).Status);
        }

        Assert.Equal(401, (await ClientConnectionTests.SignInAsync(client, _issuers.Other.Mint("mallory"))).Status);
        Assert.Equal(401, (await ClientConnectionTests.SignInAsync(client, _issuers.Other.Mint("mallory"))).Status);

        Assert.True(gateway.SignIn.Bans.IsBanned(System.Net.IPAddress.Parse("198.18.1.100")));
        Assert.False(gateway.SignIn.Bans.IsBanned(System.Net.IPAddress.Parse("198.18.1.2")));
    }
}
