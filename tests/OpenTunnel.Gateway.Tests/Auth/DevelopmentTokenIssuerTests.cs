using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.Auth;

[Trait("Category", "Integration")]
public sealed class DevelopmentTokenIssuerTests : IDisposable
{
    private const string Issuer = "https://gateway.example.net";
    private const string Audience = "opentunnel";

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void CreateOrLoad_EmptyDirectory_WritesPrivateKeyFileAndPublicJwks()
    {
        string data = Path.Combine(_directory.Path, "data");

        using var issuer = DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(issuer.KeyPath));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(issuer.KeyPath), StringComparison.Ordinal);
        JsonNode key = JsonNode.Parse(File.ReadAllText(issuer.JwksPath))!["keys"]![0]!;
        Assert.Equal("RSA", (string?)key["kty"]);
        Assert.Equal(issuer.KeyId, (string?)key["kid"]);
        Assert.Equal("RS256", (string?)key["alg"]);
        Assert.Null(key["d"]);
        Assert.Equal(issuer.JwksJson, File.ReadAllText(issuer.JwksPath));
    }

    [Fact]
    public void CreateOrLoad_SecondTime_LoadsTheSameKey()
    {
        string data = _directory.Subdirectory("data");
        string firstKeyId;
        using (var first = DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience))
        {
            firstKeyId = first.KeyId;
        }

        using var second = DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience, DevelopmentKeyKind.EcP256);

        Assert.Equal(firstKeyId, second.KeyId);
        Assert.Equal(DevelopmentKeyKind.Rsa, second.KeyKind);
    }

    [Fact]
    public void CreateOrLoad_EcKind_WritesEcJwkWithRfc7638Thumbprint()
    {
        using var issuer = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("ec"), Issuer, Audience, DevelopmentKeyKind.EcP256);

        var jwk = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(issuer.JwksJson).Keys[0];

        Assert.Equal("EC", jwk.Kty);
        Assert.Equal("ES256", jwk.Alg);
        Assert.Equal(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), issuer.KeyId);
    }

    [Fact]
    public void CreateOrLoad_KeyFileReadableByOthers_RefusesNamingTheFix()
    {
        string data = _directory.Subdirectory("data");
        DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience).Dispose();
        string keyPath = Path.Combine(data, DevelopmentTokenIssuer.KeyFileName);
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var e = Assert.Throws<InvalidOperationException>(() => DevelopmentTokenIssuer.CreateOrLoad(data, Issuer, Audience));

        Assert.Contains($"chmod 600 {keyPath}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mint_Request_PutsExactlyTheAskedClaimsInTheToken()
    {
        using var issuer = DevelopmentTokenIssuer.CreateOrLoad(_directory.Subdirectory("data"), Issuer, Audience);
        var issuedAt = new DateTimeOffset(2026, 11, 28, 20, 0, 0, TimeSpan.Zero);

        var token = new JsonWebToken(issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "s-1", UserName = "alice", DeviceId = "d-1", Groups = ["g1", "g2"], IssuedAt = issuedAt,
            Lifetime = TimeSpan.FromMinutes(5), Audience = "other", ExtraClaims = new Dictionary<string, object> { ["compliance"] = "compliant" },
        }));

        Assert.Equal("RS256", token.Alg);
        Assert.Equal(issuer.KeyId, token.Kid);
        Assert.Equal(Issuer, token.Issuer);
        Assert.Equal(["other"], token.Audiences);
        Assert.Equal("s-1", token.Subject);
        Assert.Equal("alice", token.GetPayloadValue<string>("preferred_username"));
        Assert.Equal("d-1", token.GetPayloadValue<string>("device_id"));
        Assert.Equal("compliant", token.GetPayloadValue<string>("compliance"));
        Assert.Equal(["g1", "g2"], token.GetPayloadValue<string[]>("groups"));
        Assert.Equal(issuedAt.UtcDateTime, token.IssuedAt);
        Assert.Equal(issuedAt.UtcDateTime, token.ValidFrom);
        Assert.Equal(issuedAt.AddMinutes(5).UtcDateTime, token.ValidTo);
    }
}
