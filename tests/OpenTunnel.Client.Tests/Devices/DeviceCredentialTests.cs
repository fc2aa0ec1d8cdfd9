using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Client.Devices;
using OpenTunnel.Identity.Devices;

namespace OpenTunnel.Client.Tests.Devices;

[Trait("Category", "Unit")]
public sealed class DeviceCredentialTests
{
    private const string Audience = "https://mgmt.example/connect/token";
    private static readonly Guid DeviceId = Guid.Parse("6f1c2a7e-3b0d-4c55-9a8e-0d2f1b3c4e5a");

    [Fact]
    public async Task Assertion_ValidatedWithThePublicJwk_HasDeviceIssuerSubjectAudienceAndShortLife()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credential = new DeviceCredential(key, TimeProvider.System);

        string assertion = credential.Assertion(DeviceId, Audience);

        TokenValidationResult result = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = DeviceId.ToString(),
            ValidAudience = Audience,
            IssuerSigningKey = new JsonWebKey(JsonSerializer.Serialize(credential.PublicJwk())),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireExpirationTime = true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal(DeviceId.ToString(), jwt.Subject);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.True(jwt.ValidTo - jwt.IssuedAt <= TimeSpan.FromMinutes(5), $"lifetime {jwt.ValidTo - jwt.IssuedAt}");
    }

    [Fact]
    public void Assertion_TwoInARow_HaveDifferentIds()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credential = new DeviceCredential(key, TimeProvider.System);

        Assert.NotEqual(new JsonWebToken(credential.Assertion(DeviceId, Audience)).Id, new JsonWebToken(credential.Assertion(DeviceId, Audience)).Id);
    }

    [Fact]
    public void Assertion_FromTheClock_ExpiresOneMinuteAfterNow()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero));

        var jwt = new JsonWebToken(new DeviceCredential(key, clock).Assertion(DeviceId, Audience));

        Assert.Equal(new DateTime(2026, 11, 29, 1, 1, 0, DateTimeKind.Utc), jwt.ValidTo);
    }

    [Fact]
    public void Assertion_SameKeyLoadedAgainAfterTheFirstWasDisposed_Signs()
    {
        using ECDsa original = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string pem = original.ExportPkcs8PrivateKeyPem();
        using (ECDsa first = ECDsa.Create())
        {
            first.ImportFromPem(pem);
            _ = new DeviceCredential(first, TimeProvider.System).Assertion(DeviceId, Audience);
        }

        using ECDsa second = ECDsa.Create();
        second.ImportFromPem(pem);

        Assert.NotEmpty(new DeviceCredential(second, TimeProvider.System).Assertion(DeviceId, Audience));
    }

    [Fact]
    public void PublicJwk_ParsedByTheProvider_AcceptedWithoutPrivatePart()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Dictionary<string, string> jwk = new DeviceCredential(key, TimeProvider.System).PublicJwk();
        (JsonWebKey? parsed, string? thumbprint, string? error) = DeviceKeys.Parse(JsonSerializer.Serialize(jwk));

        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.NotNull(thumbprint);
        Assert.DoesNotContain("d", jwk.Keys);
    }
}
