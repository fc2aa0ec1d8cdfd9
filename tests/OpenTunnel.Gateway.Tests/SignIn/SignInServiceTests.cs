using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tests.Auth;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.SignIn;

/// <summary>Sign-in with the real token validator and a JWKS file from a development issuer.</summary>
[Trait("Category", "Unit")]
public sealed class SignInServiceTests : IClassFixture<TokenIssuerFixture>, IDisposable
{
    private static readonly IPEndPoint Client = IPEndPoint.Parse("198.18.1.2:40000");
    private readonly TokenIssuerFixture _issuers;
    private readonly SessionTable _sessions = new();
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly GatewayMetrics _metrics;
    private readonly JwtAccessTokenValidator _validator;
    private readonly SignInService _signIn;

    public SignInServiceTests(TokenIssuerFixture issuers)
    {
        _issuers = issuers;
        _metrics = new GatewayMetrics(_meters.GetRequiredService<IMeterFactory>(), _sessions, new PacketCounters());
        _validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = TokenIssuerFixture.IssuerName, Audience = TokenIssuerFixture.Audience, JwksFile = issuers.Ec.JwksPath },
            NullLoggerFactory.Instance);
        _signIn = new SignInService(_sessions, new AuthRateLimiter(TimeProvider.System), new AccessRevocations(TimeProvider.System), new BanList(TimeProvider.System), _metrics, TimeProvider.System, NullLogger.Instance);
    }

    [Fact]
    public async Task SignInAsync_ValidToken_CreatesASessionForTheUserAndDevice()
    {
        var session = await _signIn.SignInAsync(_issuers.Ec.Mint("alice", "laptop-7"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.NotNull(session);
        Assert.Equal("alice", session.UserName);
        Assert.Equal("laptop-7", session.DeviceId);
        Assert.Same(session, _sessions.Find(session.Cookie));
    }

    [Fact]
    public async Task SignInAsync_TokenOfAnUntrustedKey_IsRefusedWithoutASession()
    {
        var session = await _signIn.SignInAsync(_issuers.Other.Mint("mallory"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.Null(session);
        Assert.Equal(0, _sessions.Count);
    }

    [Fact]
    public async Task SignInAsync_OverTheRateLimit_IsRefusedBeforeTheTokenIsChecked()
    {
        var limits = new LimitOptions { AuthAttemptsPerMinute = 1 };
        await _signIn.SignInAsync(_issuers.Ec.Mint("alice"), Client, _validator, limits, unmanagedAccess: false, CancellationToken.None);

        var second = await _signIn.SignInAsync(_issuers.Ec.Mint("alice"), Client, _validator, limits, unmanagedAccess: false, CancellationToken.None);

        Assert.Null(second);
        Assert.Equal(1, _sessions.Count);
    }

    [Fact]
    public async Task SignInAsync_ThirdSessionOfAUser_IsRefusedByTheDefaultLimitOfTwo()
    {
        var limits = new LimitOptions();
        for (int i = 0; i < 2; i++)
        {
            Assert.NotNull(await _signIn.SignInAsync(_issuers.Ec.Mint("bob"), Client, _validator, limits, unmanagedAccess: false, CancellationToken.None));
        }

        Assert.Null(await _signIn.SignInAsync(_issuers.Ec.Mint("bob"), Client, _validator, limits, unmanagedAccess: false, CancellationToken.None));
    }

    [Fact]
    public async Task SignInAsync_WhileDraining_MakesNoSession_AndAfterTheDrainDoes()
    {
        _signIn.Draining = true;
        var refused = await _signIn.SignInAsync(_issuers.Ec.Mint("carol"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);
        _signIn.Draining = false;
        var admitted = await _signIn.SignInAsync(_issuers.Ec.Mint("carol"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.Null(refused);
        Assert.Equal("carol", admitted?.UserName);
        Assert.Equal(1, _sessions.Count);
    }

    [Fact]
    public async Task SignInAsync_TokenIssuedBeforeTheUserWasRevoked_IsRefused_AndANewerTokenIsAccepted()
    {
        string before = _issuers.Ec.Mint("dave");
        _signIn.Revocations.Revoke("dave");
        string after = _issuers.Ec.Mint(new DevelopmentTokenRequest { Subject = "dave", UserName = "dave", IssuedAt = DateTimeOffset.UtcNow.AddSeconds(2), NotBefore = DateTimeOffset.UtcNow });

        Assert.Null(await _signIn.SignInAsync(before, Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None));
        Assert.Equal("dave", (await _signIn.SignInAsync(after, Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None))?.UserName);
    }

    [Fact]
    public async Task SignInAsync_TokenNamingARevokedDevice_IsRefusedWhateverTheUser()
    {
        string token = _issuers.Ec.Mint("erin", "device-9");
        _signIn.Revocations.Revoke("device-9");

        Assert.Null(await _signIn.SignInAsync(token, Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None));
        Assert.NotNull(await _signIn.SignInAsync(_issuers.Ec.Mint("erin", "device-10"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None));
    }

    [Fact]
    public async Task SignInAsync_TokenForSiteAAtSiteBsGateway_IsRefusedLoggedAndCounted_AndPassesAtSiteA()
    {
        const string siteA = "5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c";
        const string siteB = "e1d2c3b4-a596-4877-8899-aabbccddeeff";
        var logger = new FakeLogger();
        using var refusals = new MetricCollector<long>(_metrics.Meter, "opentunnel.gateway.sign_ins");
        var signIn = new SignInService(_sessions, new AuthRateLimiter(TimeProvider.System), new AccessRevocations(TimeProvider.System), new BanList(TimeProvider.System), _metrics, TimeProvider.System, logger);
        string token = _issuers.Ec.Mint(new DevelopmentTokenRequest
        {
            Subject = "frank", UserName = "frank", ExtraClaims = new Dictionary<string, object> { ["site"] = siteA },
        });
        using JwtAccessTokenValidator siteBGateway = SiteValidator(siteB);
        using JwtAccessTokenValidator siteAGateway = SiteValidator(siteA);

        var atB = await signIn.SignInAsync(token, Client, siteBGateway, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);
        var atA = await signIn.SignInAsync(token, Client, siteAGateway, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.Null(atB);
        Assert.Equal("frank", atA?.UserName);
        FakeLogRecord refusal = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(
            $"Sign-in from 198.18.1.2 refused by check token-wrong-site: token was issued for site '{siteA}', and this gateway serves site '{siteB}' (Auth:RequiredSite)",
            refusal.Message);
        // Other test classes sign in at the same time on the same meter; only this test refuses a site.
        CollectedMeasurement<long> counted = Assert.Single(refusals.GetMeasurementSnapshot(), m => m.Tags["reason"] is "token-wrong-site");
        Assert.Equal("refused", counted.Tags["result"]);
    }

    [Fact]
    public async Task SignInAsync_UnmanagedTokenWithoutUnmanagedAccess_IsRefusedWithTheReasonLogged()
    {
        var logger = new FakeLogger();
        var signIn = new SignInService(_sessions, new AuthRateLimiter(TimeProvider.System), new AccessRevocations(TimeProvider.System), new BanList(TimeProvider.System), _metrics, TimeProvider.System, logger);

        var session = await signIn.SignInAsync(UnmanagedToken("grace"), Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.Null(session);
        Assert.Equal(0, _sessions.Count);
        FakeLogRecord refusal = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(
            "Sign-in from 198.18.1.2 refused by check unmanaged-device: the token of grace is for an unmanaged device (claim 'compliance' is 'unmanaged': signed in without an enrolled device), and this gateway gives unmanaged devices no access (Network:UnmanagedAccess is not set)",
            refusal.Message);
    }

    [Fact]
    public async Task SignInAsync_UnmanagedTokenWithUnmanagedAccess_MakesAnUnmanagedSession()
    {
        var session = await _signIn.SignInAsync(UnmanagedToken("heidi"), Client, _validator, new LimitOptions(), unmanagedAccess: true, CancellationToken.None);

        Assert.NotNull(session);
        Assert.True(session.Unmanaged);
    }

    [Theory]
    [InlineData("compliant")]
    [InlineData(null)]
    public async Task SignInAsync_ManagedOrUnmarkedTokenWithoutUnmanagedAccess_IsAdmittedAsBefore(string? compliance)
    {
        var claims = compliance is null ? new Dictionary<string, object>() : new Dictionary<string, object> { ["compliance"] = compliance };
        string token = _issuers.Ec.Mint(new DevelopmentTokenRequest { Subject = "ivan", UserName = "ivan", ExtraClaims = claims });

        var session = await _signIn.SignInAsync(token, Client, _validator, new LimitOptions(), unmanagedAccess: false, CancellationToken.None);

        Assert.NotNull(session);
        Assert.False(session.Unmanaged);
    }

    public void Dispose()
    {
        _validator.Dispose();
        _meters.Dispose();
    }

    private string UnmanagedToken(string user) => _issuers.Ec.Mint(new DevelopmentTokenRequest
    {
        Subject = user, UserName = user, ExtraClaims = new Dictionary<string, object> { ["compliance"] = "unmanaged" },
    });

    private JwtAccessTokenValidator SiteValidator(string site) => JwtAccessTokenValidator.Create(
        new AuthOptions { Issuer = TokenIssuerFixture.IssuerName, Audience = TokenIssuerFixture.Audience, JwksFile = _issuers.Ec.JwksPath, RequiredSite = site },
        NullLoggerFactory.Instance);
}
