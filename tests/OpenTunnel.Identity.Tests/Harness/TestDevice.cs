using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>A device's key pair as the client keeps it, and the device assertions it signs.</summary>
public sealed class TestDevice
{
    private readonly ECDsaSecurityKey _key;

    private TestDevice(ECDsa key)
    {
        _key = new ECDsaSecurityKey(key);
        JsonWebKey jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))));
        PublicJwk = new Dictionary<string, string> { ["kty"] = jwk.Kty, ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y };
    }

    public string Id { get; set; } = "";

    public Dictionary<string, string> PublicJwk { get; }

    public static TestDevice Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A device assertion for <paramref name="audience"/>, signed by this key (or, to forge, by <paramref name="signer"/>'s).</summary>
    public string Assertion(string audience, TimeSpan? lifetime = null, string? jti = null, TestDevice? signer = null, string? deviceId = null)
    {
        DateTime now = DateTime.UtcNow;
        string id = deviceId ?? Id;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = id,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = id, ["jti"] = jti ?? Guid.NewGuid().ToString() },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(1)),
            SigningCredentials = new SigningCredentials((signer ?? this)._key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
