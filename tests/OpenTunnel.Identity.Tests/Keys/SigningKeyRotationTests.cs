using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Keys;

/// <summary>
/// Rotation in a running service: the signing key is made older than the rotation interval on
/// disk, the rotation check runs, a new key signs, and a token signed by the old key still
/// validates at a gateway (the JWKS publishes both) until it expires.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SigningKeyRotationTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task Rotation_OldKeyPastInterval_NewKeySignsAndOldTokensStillValidate()
    {
        string before = await ClientCredentialsTokenAsync();
        string oldKeyId = new JsonWebToken(before).Kid;
        string keyFile = Directory.GetFiles(Path.Combine(fixture.App.Database.DataDirectory, "identity", "signing-keys"), oldKeyId + "*").Single();
        JsonObject stored = JsonNode.Parse(File.ReadAllText(keyFile))!.AsObject();
        stored["CreatedAt"] = DateTimeOffset.UtcNow.AddDays(-31).ToString("O");
        File.WriteAllText(keyFile, stored.ToJsonString());

        Assert.True(fixture.App.Services.GetRequiredService<SigningKeyRotation>().Refresh());
        string after = await ClientCredentialsTokenAsync();

        Assert.NotEqual(oldKeyId, new JsonWebToken(after).Kid);
        using JwtAccessTokenValidator gateway = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-management", RequireHttpsMetadata = false }, NullLoggerFactory.Instance);
        TokenValidationOutcome oldToken = await gateway.ValidateAsync(before, CancellationToken.None);
        TokenValidationOutcome newToken = await gateway.ValidateAsync(after, CancellationToken.None);
        Assert.True(oldToken.Succeeded, oldToken.Detail);
        Assert.True(newToken.Succeeded, newToken.Detail);
        string jwks = await fixture.Anonymous.GetStringAsync("/.well-known/jwks");
        Assert.Contains(oldKeyId, jwks, StringComparison.Ordinal);
        Assert.Contains(new JsonWebToken(after).Kid, jwks, StringComparison.Ordinal);
    }

    private async Task<string> ClientCredentialsTokenAsync()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/automation-clients", new { name = ManagementAppFixture.Unique("rot"), role = "read-only" });
        TokenResponse tokens = await fixture.Oidc.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = created.Json.GetProperty("client").GetProperty("clientId").GetString()!,
            ["client_secret"] = created.Json.GetProperty("clientSecret").GetString()!,
        });
        Assert.True(tokens.AccessToken is not null, tokens.Json.ToString());
        return tokens.AccessToken;
    }
}
