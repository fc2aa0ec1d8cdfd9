using Microsoft.Extensions.Logging.Abstractions;
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

    public JwksFileSigningKeySourceTests()
    {
        _first = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("first"), Issuer, Audience);
        _second = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("second"), Issuer, Audience);
        _jwksFile = _directory.File("jwks.json");
        File.WriteAllText(_jwksFile, _first.JwksJson);
        _validator = JwtAccessTokenValidator.Create(new AuthOptions { Issuer = Issuer, Audience = Audience, JwksFile = _jwksFile }, NullLoggerFactory.Instance);
    }

    public void Dispose()
    {
        _validator.Dispose();
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
