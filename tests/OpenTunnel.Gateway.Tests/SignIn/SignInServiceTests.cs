using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tests.Auth;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class SignInServiceTests(TokenIssuerFixture issuers) : IClassFixture<TokenIssuerFixture>, IDisposable
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("198.18.1.2"), 40000);
    private readonly SessionTable _sessions = new();
    private readonly GatewayMetrics _metrics = new(new SessionTable(), new PacketCounters());

    [Fact]
    public async Task SignInAsync_WhileDraining_MakesNoSession_AndAfterTheDrainDoes()
    {
        var service = new SignInService(_sessions, new AuthRateLimiter(TimeProvider.System), _metrics, TimeProvider.System, NullLogger.Instance) { Draining = true };
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = TokenIssuerFixture.IssuerName, Audience = TokenIssuerFixture.Audience, JwksFile = issuers.Issuer.JwksPath },
            NullLoggerFactory.Instance);
        string token = issuers.Issuer.Mint("alice");

        GatewaySession? refused = await service.SignInAsync(token, Client, null, validator, new LimitOptions(), CancellationToken.None);
        service.Draining = false;
        GatewaySession? admitted = await service.SignInAsync(token, Client, null, validator, new LimitOptions(), CancellationToken.None);

        Assert.Null(refused);
        Assert.Equal("alice", admitted?.UserName);
        Assert.Equal(1, _sessions.Count);
    }

    public void Dispose() => _metrics.Dispose();
}
