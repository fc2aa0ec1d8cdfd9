using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing;
using OpenTunnel.Testing.Tokens;

namespace OpenTunnel.Gateway.Tests.Auth;

/// <summary>
/// Keys from OIDC discovery, against a real Kestrel issuer endpoint on 127.0.0.1. The key cache's
/// clock is a fake one so that refresh intervals can pass without waiting; tokens are minted with
/// the real time, which the JWT library checks lifetimes against.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DiscoverySigningKeySourceTests : IAsyncLifetime
{
    private const string Audience = "api://opentunnel";

    private readonly TemporaryDirectory _directory = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private OidcDiscoveryServer _server = null!;
    private DevelopmentTokenIssuer _issuer = null!;
    private DevelopmentTokenIssuer _rotated = null!;

    public async Task InitializeAsync()
    {
        _server = await OidcDiscoveryServer.StartAsync();
        // EC keys: quick to make, and they cover ES256 through discovery.
        _issuer = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("first"), _server.Issuer, Audience, DevelopmentKeyKind.EcP256);
        _rotated = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("rotated"), _server.Issuer, Audience, DevelopmentKeyKind.EcP256);
        _server.SetKeys(_issuer.JwksJson);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _issuer.Dispose();
        _rotated.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task ValidateAsync_KeysFromDiscovery_AcceptsAndFetchesOnlyOnce()
    {
        using JwtAccessTokenValidator validator = Create();

        TokenValidationOutcome first = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);
        TokenValidationOutcome second = await validator.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);

        Assert.True(first.Succeeded, first.Detail);
        Assert.True(second.Succeeded, second.Detail);
        Assert.Equal(1, _server.MetadataRequests);
        Assert.Equal(1, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_ConcurrentFirstSignIns_ShareOneFetch()
    {
        using JwtAccessTokenValidator validator = Create();
        TokenValidationOutcome[] outcomes = await SignInConcurrentlyAsync(validator, _issuer);

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Detail));
        Assert.Equal(1, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_IssuerRotatedKeysAfterCaching_RefreshesOnUnknownKidAndAccepts()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        _server.SetKeys(_issuer.JwksJson, _rotated.JwksJson);

        TokenValidationOutcome outcome = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal(2, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_ConcurrentSignInsWithTheRotatedKey_AllAcceptedAfterOneFetch()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        _server.SetKeys(_issuer.JwksJson, _rotated.JwksJson);
        TokenValidationOutcome[] outcomes = await SignInConcurrentlyAsync(validator, _rotated);

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Detail));
        Assert.Equal(2, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_UnknownKidsWithinMinimumInterval_FetchAgainOnlyOnce()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);

        TokenValidationOutcome first = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(4));
        TokenValidationOutcome second = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);
        TokenValidationOutcome third = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);

        Assert.Equal(TokenRefusal.UnknownKey, first.Refusal);
        Assert.Contains("also after fetching them again", first.Detail, StringComparison.Ordinal);
        Assert.Equal(TokenRefusal.UnknownKey, second.Refusal);
        Assert.Contains("fetched again less than 00:05:00 ago", second.Detail, StringComparison.Ordinal);
        Assert.Equal(TokenRefusal.UnknownKey, third.Refusal);
        Assert.Equal(2, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_UnknownKids_LogRefreshThenSuppressedRefresh()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = _server.Issuer, Audience = Audience, RequireHttpsMetadata = false }, loggerFactory, _clock);

        await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);
        await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);

        int[] ids = [.. logs.GetSnapshot().Select(r => r.Id.Id)];
        Assert.Equal([3110, 3112, 3110, 3113], ids);
        Assert.Contains($"key '{_rotated.KeyId}'", logs.GetSnapshot()[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_KeyPublishedAfterARefusedRefresh_IsAcceptedOnceTheMinimumIntervalPassed()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.Equal(TokenRefusal.UnknownKey, (await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None)).Refusal);
        _server.SetKeys(_issuer.JwksJson, _rotated.JwksJson);

        TokenValidationOutcome soon = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(5));
        TokenValidationOutcome later = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);

        Assert.Equal(TokenRefusal.UnknownKey, soon.Refusal);
        Assert.True(later.Succeeded, later.Detail);
        Assert.Equal(3, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_AfterKeyRefreshInterval_FetchesTheKeysAgain()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        _server.SetKeys(_rotated.JwksJson);

        _clock.Advance(TimeSpan.FromHours(11));
        TokenValidationOutcome cached = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);
        int requestsWhileCached = _server.JwksRequests;
        _clock.Advance(TimeSpan.FromHours(1));
        TokenValidationOutcome refreshed = await validator.ValidateAsync(_rotated.Mint("alice"), CancellationToken.None);

        Assert.True(cached.Succeeded, cached.Detail);
        Assert.Equal(1, requestsWhileCached);
        Assert.True(refreshed.Succeeded, refreshed.Detail);
        Assert.Equal(2, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_IssuerFailsAfterKeysWereFetched_KeepsUsingThem()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        _server.Failing = true;

        _clock.Advance(TimeSpan.FromHours(12));
        TokenValidationOutcome outcome = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.True(_server.MetadataRequests > 1, "the keys were not fetched again after the refresh interval");
    }

    [Fact]
    public async Task ValidateAsync_IssuerStoppedAfterKeysWereFetched_SignsInWithTheCachedKeys_AndPicksUpARotationWhenItIsBack()
    {
        using JwtAccessTokenValidator validator = Create();
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        int port = new Uri(_server.Issuer).Port;
        await _server.DisposeAsync();

        // Past the refresh interval: the fetch that is due is refused (nothing listens), the cached keys serve.
        _clock.Advance(TimeSpan.FromHours(12));
        TokenValidationOutcome during = await validator.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);
        TokenValidationOutcome rotatedDuring = await validator.ValidateAsync(_rotated.Mint("carol"), CancellationToken.None);
        _server = await OidcDiscoveryServer.StartAsync(port);
        _server.SetKeys(_rotated.JwksJson);
        _clock.Advance(TimeSpan.FromMinutes(5));
        TokenValidationOutcome rotatedAfter = await validator.ValidateAsync(_rotated.Mint("carol"), CancellationToken.None);

        Assert.True(during.Succeeded, during.Detail);
        Assert.Equal(TokenRefusal.UnknownKey, rotatedDuring.Refusal);
        Assert.True(rotatedAfter.Succeeded, rotatedAfter.Detail);
        Assert.Equal(1, _server.JwksRequests);
    }

    [Fact]
    public async Task ValidateAsync_IssuerHangsAfterKeysWereFetched_OneSignInWaitsTheMetadataTimeout_TheNextOnesDoNotWait()
    {
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = _server.Issuer, Audience = Audience, RequireHttpsMetadata = false, MetadataTimeout = TimeSpan.FromSeconds(2) },
            NullLoggerFactory.Instance,
            _clock);
        Assert.True((await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        int port = new Uri(_server.Issuer).Port;
        await _server.DisposeAsync();

        // A listener that takes connections and never answers: an issuer behind a hung proxy.
        using var hung = new TcpListener(IPAddress.Loopback, port);
        hung.Start();
        _server = await OidcDiscoveryServer.StartAsync(); // elsewhere: only for DisposeAsync
        _clock.Advance(TimeSpan.FromHours(12));
        var first = System.Diagnostics.Stopwatch.StartNew();
        TokenValidationOutcome waited = await validator.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);
        TimeSpan firstTook = first.Elapsed;
        var next = System.Diagnostics.Stopwatch.StartNew();
        TokenValidationOutcome notWaited = await validator.ValidateAsync(_issuer.Mint("carol"), CancellationToken.None);
        TimeSpan nextTook = next.Elapsed;

        Assert.True(waited.Succeeded, waited.Detail);
        Assert.True(notWaited.Succeeded, notWaited.Detail);
        Assert.InRange(firstTook, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        Assert.True(nextTook < TimeSpan.FromSeconds(1), $"the sign-in after the failed fetch took {nextTook.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task ValidateAsync_IssuerFailingAtStart_RefusesKeysUnavailableAndRetriesOnlyAfterTheDelay()
    {
        using JwtAccessTokenValidator validator = Create();
        _server.Failing = true;

        TokenValidationOutcome first = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);
        int requestsAfterFirst = _server.MetadataRequests;
        TokenValidationOutcome second = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);
        int requestsWhileFailing = _server.MetadataRequests;
        _server.Failing = false;
        _clock.Advance(TimeSpan.FromSeconds(10));
        TokenValidationOutcome third = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);

        Assert.Equal(TokenRefusal.KeysUnavailable, first.Refusal);
        Assert.Contains("the server answered HTTP 503 (ServiceUnavailable)", first.Detail, StringComparison.Ordinal);
        Assert.Equal(TokenRefusal.KeysUnavailable, second.Refusal);
        Assert.Equal(requestsAfterFirst, requestsWhileFailing);
        Assert.True(third.Succeeded, third.Detail);
    }

    [Fact]
    public async Task ValidateAsync_IssuerUnreachable_RefusesKeysUnavailableNamingTheAddress()
    {
        string issuer = $"http://127.0.0.1:{ClosedLoopbackPort()}";
        using var tokens = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("unreachable"), issuer, Audience, DevelopmentKeyKind.EcP256);
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = issuer, Audience = Audience, RequireHttpsMetadata = false, MetadataTimeout = TimeSpan.FromSeconds(2) },
            NullLoggerFactory.Instance);

        TokenValidationOutcome outcome = await validator.ValidateAsync(tokens.Mint("alice"), CancellationToken.None);

        Assert.Equal(TokenRefusal.KeysUnavailable, outcome.Refusal);
        Assert.Contains($"could not get the signing keys from issuer metadata {issuer}/.well-known/openid-configuration", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("refused", outcome.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ValidateAsync_BadTokenBeforeAnyKeyFetch_DoesNotContactTheIssuer()
    {
        using JwtAccessTokenValidator validator = Create();

        TokenValidationOutcome outcome = await validator.ValidateAsync(ForgedTokens.Unsigned(_issuer.Mint("alice")), CancellationToken.None);

        Assert.Equal(TokenRefusal.DisallowedAlgorithm, outcome.Refusal);
        Assert.Equal(0, _server.MetadataRequests);
    }

    [Fact]
    public async Task ValidateAsync_StartedWhileTheIssuerIsDown_UsesTheKeysSavedBefore_AndFetchesARotationWhenItIsBack()
    {
        string data = _directory.Subdirectory("data");
        using (JwtAccessTokenValidator before = CreateSaving(data, NullLoggerFactory.Instance))
        {
            Assert.True((await before.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        }

        int port = new Uri(_server.Issuer).Port;
        await _server.DisposeAsync();
        _clock.Advance(TimeSpan.FromHours(3));
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        using JwtAccessTokenValidator restarted = CreateSaving(data, loggerFactory);

        TokenValidationOutcome during = await restarted.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);
        _server = await OidcDiscoveryServer.StartAsync(port);
        _server.SetKeys(_rotated.JwksJson);
        TokenValidationOutcome rotated = await restarted.ValidateAsync(_rotated.Mint("carol"), CancellationToken.None);

        Assert.True(during.Succeeded, during.Detail);
        FakeLogRecord fromFile = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3115);
        Assert.Contains("fetched 3 hours ago", fromFile.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(data, SigningKeyCacheFile.FileName), fromFile.Message, StringComparison.Ordinal);
        Assert.True(rotated.Succeeded, rotated.Detail);
        Assert.Contains(_rotated.KeyId, File.ReadAllText(Path.Combine(data, SigningKeyCacheFile.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_KeysFetched_AreSavedOwnerOnlyWithoutPrivateMembersOrSymmetricKeys()
    {
        // An issuer that publishes too much: a key with its private member, and a symmetric key.
        using var leaked = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters parameters = leaked.ExportParameters(includePrivateParameters: true);
        JsonObject published = JsonNode.Parse(_issuer.JwksJson)!.AsObject();
        published["keys"]!.AsArray().Add(new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = "leaked", ["use"] = "sig",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X), ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y), ["d"] = Base64UrlEncoder.Encode(parameters.D),
        });
        published["keys"]!.AsArray().Add(new JsonObject { ["kty"] = "oct", ["kid"] = "shared", ["k"] = "c2VjcmV0" });
        _server.SetKeys(published.ToJsonString());
        string data = _directory.Subdirectory("data");
        using JwtAccessTokenValidator validator = CreateSaving(data, NullLoggerFactory.Instance);

        TokenValidationOutcome outcome = await validator.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Detail);
        string file = Path.Combine(data, SigningKeyCacheFile.FileName);
        JsonNode saved = JsonNode.Parse(File.ReadAllText(file))!;
        string[] savedKeys = [.. saved["jwks"]!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>())];
        Assert.Equal([_issuer.KeyId, "leaked"], savedKeys);
        Assert.All(saved["jwks"]!["keys"]!.AsArray(), k => Assert.False(k!.AsObject().ContainsKey("d")));
        Assert.Equal(_server.MetadataAddress, saved["metadataAddress"]!.GetValue<string>());
        Assert.NotNull(saved["discovery"]!["jwks_uri"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task ValidateAsync_SavedKeysOlderThanTheMaximumAge_AreNotUsed_AndTheRefusalSaysSo()
    {
        string data = _directory.Subdirectory("data");
        using (JwtAccessTokenValidator before = CreateSaving(data, NullLoggerFactory.Instance))
        {
            Assert.True((await before.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        }

        _server.Failing = true;
        _clock.Advance(TimeSpan.FromDays(31));
        using JwtAccessTokenValidator restarted = CreateSaving(data, NullLoggerFactory.Instance);

        TokenValidationOutcome outcome = await restarted.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);

        Assert.Equal(TokenRefusal.KeysUnavailable, outcome.Refusal);
        Assert.Contains("more than Auth:CachedKeysMaximumAge (30.00:00:00) ago", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SavedKeysOfAnotherIssuer_AreNotUsed()
    {
        string data = _directory.Subdirectory("data");
        using (JwtAccessTokenValidator before = CreateSaving(data, NullLoggerFactory.Instance))
        {
            Assert.True((await before.ValidateAsync(_issuer.Mint("alice"), CancellationToken.None)).Succeeded);
        }

        string file = Path.Combine(data, SigningKeyCacheFile.FileName);
        File.WriteAllText(file, File.ReadAllText(file).Replace(_server.MetadataAddress, "https://other.example/.well-known/openid-configuration", StringComparison.Ordinal));
        _server.Failing = true;
        using JwtAccessTokenValidator restarted = CreateSaving(data, NullLoggerFactory.Instance);

        TokenValidationOutcome outcome = await restarted.ValidateAsync(_issuer.Mint("bob"), CancellationToken.None);

        Assert.Equal(TokenRefusal.KeysUnavailable, outcome.Refusal);
        Assert.Contains("are from \"https://other.example/.well-known/openid-configuration\"", outcome.Detail, StringComparison.Ordinal);
    }

    private JwtAccessTokenValidator CreateSaving(string dataDirectory, ILoggerFactory loggerFactory) => JwtAccessTokenValidator.Create(
        new AuthOptions { Issuer = _server.Issuer, Audience = Audience, RequireHttpsMetadata = false },
        loggerFactory,
        _clock,
        dataDirectory);

    private JwtAccessTokenValidator Create() => JwtAccessTokenValidator.Create(
        new AuthOptions { Issuer = _server.Issuer, Audience = Audience, RequireHttpsMetadata = false },
        NullLoggerFactory.Instance,
        _clock);

    private static Task<TokenValidationOutcome[]> SignInConcurrentlyAsync(JwtAccessTokenValidator validator, DevelopmentTokenIssuer issuer)
    {
        var signIns = new Task<TokenValidationOutcome>[8];
        for (int i = 0; i < signIns.Length; i++)
        {
            signIns[i] = validator.ValidateAsync(issuer.Mint("user" + i), CancellationToken.None).AsTask();
        }

        return Task.WhenAll(signIns);
    }

    /// <summary>A loopback port that was free a moment ago and has no listener, so connecting is refused.</summary>
    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
