using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Client.Devices;

/// <summary>
/// The device's key and the proofs it signs: the public JWK it enrols with, and device assertions
/// (RFC 7523 section 3 style, as src/OpenTunnel.Identity/Devices/DeviceAssertionValidator checks
/// them): ES256, <c>iss</c> = <c>sub</c> = the device id, <c>aud</c> = the URL the assertion is sent
/// to, a fresh <c>jti</c> (the provider accepts each once), <c>exp</c> one minute ahead (the
/// provider refuses more than <c>Identity:DeviceAssertionMaximumLifetime</c>, 5 minutes by default).
/// </summary>
public sealed class DeviceCredential(ECDsa key, TimeProvider time)
{
    public static readonly TimeSpan AssertionLifetime = TimeSpan.FromMinutes(1);

    private static readonly JsonWebTokenHandler Handler = new();

    // IdentityModel caches signature providers process-wide by the key's thumbprint; a provider
    // cached for an earlier ECDsa instance of the same key (loaded again from the file, then
    // disposed) would sign with a disposed key. The client signs a few assertions: no cache.
    private readonly ECDsaSecurityKey _signingKey = new(key) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } };

    /// <summary>The public key as a JWK (kty, crv, x, y): what the enrolment sends; never the private part.</summary>
    public Dictionary<string, string> PublicJwk()
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, string>
        {
            ["kty"] = JsonWebAlgorithmsKeyTypes.EllipticCurve,
            ["crv"] = JsonWebKeyECTypes.P256,
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }

    public string Assertion(Guid deviceId, string audience)
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        string id = deviceId.ToString();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = id,
            Audience = audience,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = id, [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N") },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + AssertionLifetime,
            SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
