using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Testing.Tokens;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>
/// An OIDC issuer on 127.0.0.1 (the shared <see cref="OidcDiscoveryServer"/> serving this
/// issuer's JWKS) that mints RS256 administrator tokens, standing in for the identity provider
/// (issue #6). The service fetches the keys over HTTP exactly as it would from any issuer.
/// </summary>
public sealed class TestTokenIssuer : IAsyncDisposable
{
    private readonly OidcDiscoveryServer _server;
    private readonly RsaSecurityKey _key;

    private TestTokenIssuer(OidcDiscoveryServer server, RsaSecurityKey key)
    {
        _server = server;
        _key = key;
    }

    public string Issuer => _server.Issuer;

    public static async Task<TestTokenIssuer> StartAsync()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };
        JsonWebKey jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(includePrivateParameters: false)) { KeyId = key.KeyId });
        string jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, alg = SecurityAlgorithms.RsaSha256, n = jwk.N, e = jwk.E } } });
        OidcDiscoveryServer server = await OidcDiscoveryServer.StartAsync();
        server.SetKeys(jwks);
        return new TestTokenIssuer(server, key);
    }

    /// <summary>A token for <paramref name="user"/> with <paramref name="role"/> (none when null).</summary>
    public string Mint(string user, string? role, string audience = "opentunnel-management", TimeSpan? lifetime = null, string? issuer = null)
    {
        var claims = new List<Claim> { new("sub", user), new("preferred_username", user) };
        if (role is not null)
        {
            claims.Add(new Claim("role", role));
        }

        DateTime now = DateTime.UtcNow;
        TimeSpan life = lifetime ?? TimeSpan.FromMinutes(10);
        DateTime issued = life < TimeSpan.Zero ? now + life - TimeSpan.FromMinutes(1) : now;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = issued,
            NotBefore = issued,
            Expires = now + life,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
