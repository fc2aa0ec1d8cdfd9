using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Auth;

/// <summary>Keys from a real JWKS file that changes while the validator runs.</summary>
[Trait("Category", "Integration")]
public sealed class JwksFileSigningKeySourceTests : IDisposable
{
    private const string Issuer = "https://login.example.net/tenant/v2.0";
    private const string Audience = "api://opentunnel";

    private readonly TemporaryDirectory _directory = new();
    private readonly DevelopmentTokenIssuer _first;
    private readonly DevelopmentTokenIssuer _second;
    private readonly string _jwksFile;
    private readonly JwtAccessTokenValidator _validator;
    private readonly FakeLogCollector _logs = new();
    private readonly LoggerFactory _loggerFactory;

    public JwksFileSigningKeySourceTests()
    {
        _first = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("first"), Issuer, Audience, DevelopmentKeyKind.EcP256);
        _second = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("second"), Issuer, Audience, DevelopmentKeyKind.EcP256);
        _jwksFile = _directory.File("jwks.json");
        File.WriteAllText(_jwksFile, _first.JwksJson);
        _loggerFactory = new LoggerFactory([new FakeLoggerProvider(_logs)]);
        _validator = JwtAccessTokenValidator.Create(new AuthOptions { Issuer = Issuer, Audience = Audience, JwksFile = _jwksFile }, _loggerFactory);
    }

    public void Dispose()
    {
        _validator.Dispose();
        _loggerFactory.Dispose();
        _first.Dispose();
        _second.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task ValidateAsync_FileReplacedWithAnotherKey_UsesOnlyTheNewKey()
    {
        Assert.True((await ValidateAsync(_first.Mint("alice"))).Succeeded);

        File.WriteAllText(_jwksFile, _second.JwksJson);

        // The first key was cached; it is refused only because the changed file was read again.
        Assert.Equal(TokenRefusal.UnknownKey, (await ValidateAsync(_first.Mint("alice"))).Refusal);
        Assert.True((await ValidateAsync(_second.Mint("alice"))).Succeeded);
    }

    [Fact]
    public async Task ValidateAsync_FileChangedToGarbage_KeepsTheKeysReadBefore()
    {
        Assert.True((await ValidateAsync(_first.Mint("alice"))).Succeeded);

        File.WriteAllText(_jwksFile, "{ this is not a JWKS");

        TokenValidationOutcome outcome = await ValidateAsync(_first.Mint("alice"));
        Assert.True(outcome.Succeeded, outcome.Detail);
        FakeLogRecord rejected = _logs.LatestRecord;
        Assert.Equal(3114, rejected.Id.Id);
        Assert.StartsWith($"JWKS file {_jwksFile} was changed but cannot be used, keeping the 1 keys read before:", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_FileWithoutUsableKeysAtStart_RefusesKeysUnavailableThenRecovers()
    {
        File.WriteAllText(_jwksFile, """{"keys":[]}""");

        TokenValidationOutcome before = await ValidateAsync(_first.Mint("alice"));
        File.WriteAllText(_jwksFile, _first.JwksJson);
        TokenValidationOutcome after = await ValidateAsync(_first.Mint("alice"));

        Assert.Equal(TokenRefusal.KeysUnavailable, before.Refusal);
        Assert.Contains("it holds no usable signing key", before.Detail, StringComparison.Ordinal);
        Assert.True(after.Succeeded, after.Detail);
    }

    [Fact]
    public async Task ValidateAsync_FileDeletedAfterLoading_KeepsTheKeysReadBefore()
    {
        Assert.True((await ValidateAsync(_first.Mint("alice"))).Succeeded);

        File.Delete(_jwksFile);

        Assert.True((await ValidateAsync(_first.Mint("alice"))).Succeeded);
    }

    private ValueTask<TokenValidationOutcome> ValidateAsync(string token) => _validator.ValidateAsync(token, CancellationToken.None);
}
