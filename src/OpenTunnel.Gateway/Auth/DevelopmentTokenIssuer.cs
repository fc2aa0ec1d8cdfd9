using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Gateway.Auth;

/// <summary>Key type of a <see cref="DevelopmentTokenIssuer"/>: RSA 2048 (RS256) or EC P-256 (ES256).</summary>
public enum DevelopmentKeyKind
{
    Rsa,
    EcP256,
}

/// <summary>
/// A minimal token issuer for the standalone quick start and for tests: keeps one signing key in a
/// data directory (<see cref="KeyFileName"/>, mode 0600, created on first use and loaded after),
/// writes the matching public JWKS beside it (<see cref="JwksFileName"/>, for
/// <see cref="AuthOptions.JwksFile"/>) and mints signed access tokens. Not an identity provider:
/// it signs whatever it is asked to, so only tools that the operator runs may use it.
/// </summary>
public sealed class DevelopmentTokenIssuer : IDisposable
{
    public const string KeyFileName = "token-signing-key.pem";
    public const string JwksFileName = "token-signing-jwks.json";

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly AsymmetricAlgorithm _key;
    private readonly SigningCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();

    private DevelopmentTokenIssuer(string dataDirectory, string issuer, string audience, AsymmetricAlgorithm key, TimeProvider time)
    {
        Issuer = issuer;
        Audience = audience;
        _key = key;
        _time = time;
        KeyPath = Path.Combine(dataDirectory, KeyFileName);
        JwksPath = Path.Combine(dataDirectory, JwksFileName);
        (JsonObject publicJwk, SecurityKey securityKey, string algorithm) = key switch
        {
            RSA rsa => (RsaJwk(rsa), (SecurityKey)new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
            ECDsa ec => (EcJwk(ec), new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256),
            _ => throw new InvalidOperationException("unreachable: only RSA and EC keys are created or loaded"),
        };
        KeyKind = key is RSA ? DevelopmentKeyKind.Rsa : DevelopmentKeyKind.EcP256;
        KeyId = Thumbprint(publicJwk);
        securityKey.KeyId = KeyId;
        _credentials = new SigningCredentials(securityKey, algorithm);
        publicJwk["kid"] = KeyId;
        publicJwk["use"] = "sig";
        publicJwk["alg"] = algorithm;
        JwksJson = new JsonObject { ["keys"] = new JsonArray(publicJwk) }.ToJsonString();
    }

    public string Issuer { get; }

    public string Audience { get; }

    public DevelopmentKeyKind KeyKind { get; }

    /// <summary>The key id: the key's RFC 7638 thumbprint, so a new key always has a new id.</summary>
    public string KeyId { get; }

    public string KeyPath { get; }

    public string JwksPath { get; }

    /// <summary>The public key as a JWKS document, the same as the file at <see cref="JwksPath"/>.</summary>
    public string JwksJson { get; }

    /// <summary>
    /// Loads the signing key from <paramref name="dataDirectory"/>, or creates one of
    /// <paramref name="kind"/> when there is none (a key found there is used whatever its kind), and
    /// writes the public JWKS file. Refuses a key file that other users can read.
    /// </summary>
    public static DevelopmentTokenIssuer CreateOrLoad(string dataDirectory, string issuer, string audience,
        DevelopmentKeyKind kind = DevelopmentKeyKind.Rsa, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        OwnerOnlyFiles.CreateDirectory(dataDirectory);
        string keyPath = Path.Combine(dataDirectory, KeyFileName);
        AsymmetricAlgorithm key = File.Exists(keyPath) ? LoadKey(keyPath) : CreateKey(keyPath, kind);
        var tokenIssuer = new DevelopmentTokenIssuer(dataDirectory, issuer, audience, key, time ?? TimeProvider.System);
        // Readers (a validator watching JwksPath) see the old file or the new one, never half of one.
        OwnerOnlyFiles.WriteAtomically(tokenIssuer.JwksPath, tokenIssuer.JwksJson);
        return tokenIssuer;
    }

    /// <summary>Mints a token for <paramref name="user"/> (both <c>sub</c> and <c>preferred_username</c>), valid from now.</summary>
    public string Mint(string user, string? deviceId = null, IReadOnlyList<string>? groups = null, TimeSpan? lifetime = null) =>
        Mint(new DevelopmentTokenRequest
        {
            Subject = user,
            UserName = user,
            DeviceId = deviceId,
            Groups = groups ?? [],
            Lifetime = lifetime ?? TimeSpan.FromHours(1),
        });

    /// <summary>Mints a compact signed JWT (JWS) with exactly the claims asked for.</summary>
    public string Mint(DevelopmentTokenRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        DateTimeOffset issuedAt = request.IssuedAt ?? _time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = request.Subject,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (request.UserName is not null)
        {
            claims["preferred_username"] = request.UserName;
        }

        if (request.DeviceId is not null)
        {
            claims["device_id"] = request.DeviceId;
        }

        if (request.Groups.Count > 0)
        {
            claims["groups"] = request.Groups;
        }

        foreach ((string name, object value) in request.ExtraClaims)
        {
            claims[name] = value;
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = request.Issuer ?? Issuer,
            Audience = request.Audience ?? Audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = (request.NotBefore ?? issuedAt).UtcDateTime,
            Expires = (issuedAt + request.Lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = _credentials,
        });
    }

    public void Dispose() => _key.Dispose();

    private static AsymmetricAlgorithm CreateKey(string keyPath, DevelopmentKeyKind kind)
    {
        AsymmetricAlgorithm key = kind == DevelopmentKeyKind.Rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        OwnerOnlyFiles.WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem());
        return key;
    }

    private static AsymmetricAlgorithm LoadKey(string keyPath)
    {
        if ((File.GetUnixFileMode(keyPath) & GroupOrOther) != 0)
        {
            throw new InvalidOperationException($"Signing key {keyPath} is accessible to other users; make it private with 'chmod 600 {keyPath}'.");
        }

        string pem = File.ReadAllText(keyPath);
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (CryptographicException e)
        {
            ec.Dispose();
            throw new InvalidOperationException($"Signing key {keyPath} is neither an RSA nor an EC private key in PEM (PKCS#8).", e);
        }
    }

    private static JsonObject RsaJwk(RSA rsa)
    {
        RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            ["kty"] = "RSA",
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
        };
    }

    private static JsonObject EcJwk(ECDsa ec)
    {
        ECParameters parameters = ec.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }

    /// <summary>RFC 7638: SHA-256 over the required members in lexicographic order, no white space.</summary>
    private static string Thumbprint(JsonObject requiredMembers) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(requiredMembers.ToJsonString())));
}
