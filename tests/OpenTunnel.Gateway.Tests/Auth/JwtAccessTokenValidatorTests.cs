using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Testing.Tokens;

namespace OpenTunnel.Gateway.Tests.Auth;

/// <summary>Every check of the validator, with keys from a real JWKS file written by a real development issuer.</summary>
[Trait("Category", "Integration")]
public sealed class JwtAccessTokenValidatorTests(TokenIssuerFixture issuers) : IClassFixture<TokenIssuerFixture>
{
    private const string Issuer = TokenIssuerFixture.IssuerName;
    private const string Audience = TokenIssuerFixture.Audience;

    private const string SiteA = "5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c";
    private const string SiteB = "e1d2c3b4-a596-4877-8899-aabbccddeeff";

    private readonly DevelopmentTokenIssuer _issuer = issuers.Issuer;

    [Fact]
    public async Task ValidateAsync_GoodToken_ReturnsUserDeviceGroupsAndExpiry()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "0f1e2d", UserName = "alice@example.net", DeviceId = "device-42", Groups = ["vpn-users", "staff"],
        });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal(TokenRefusal.None, outcome.Refusal);
        Assert.Equal("alice@example.net", outcome.UserName);
        Assert.Equal("0f1e2d", outcome.Subject);
        Assert.Equal("device-42", outcome.DeviceId);
        Assert.Equal(["vpn-users", "staff"], outcome.Groups);
        Assert.False(string.IsNullOrEmpty(outcome.TokenId));
        Assert.InRange(outcome.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
    }

    [Fact]
    public async Task ValidateAsync_NoUserNameClaim_FallsBackToSubject()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "0f1e2d" });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal("0f1e2d", outcome.UserName);
        Assert.Null(outcome.DeviceId);
        Assert.Empty(outcome.Groups);
    }

    [Fact]
    public async Task ValidateAsync_EntraStyleClaimNames_UsesConfiguredClaims()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "0f1e2d", UserName = "ignored",
            ExtraClaims = new Dictionary<string, object> { ["upn"] = "bob@example.net", ["deviceid"] = "aad-device" },
        });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { UserNameClaim = "upn", DeviceIdClaim = "deviceid" });

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal("bob@example.net", outcome.UserName);
        Assert.Equal("aad-device", outcome.DeviceId);
    }

    [Fact]
    public async Task ValidateAsync_EcSignedToken_IsAccepted()
    {
        TokenValidationOutcome outcome = await ValidateAsync(issuers.Ec.Mint("carol"), Options() with { JwksFile = issuers.Ec.JwksPath });

        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal("carol", outcome.UserName);
    }

    [Fact]
    public async Task ValidateAsync_ExpiredToken_RefusesWithWhenAndHowLongAgo()
    {
        DateTimeOffset issued = DateTimeOffset.UtcNow.AddHours(-2);
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", IssuedAt = issued, Lifetime = TimeSpan.FromHours(1) });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.Expired, outcome.Refusal);
        Assert.False(outcome.Succeeded);
        Assert.Null(outcome.UserName);
        Assert.Contains($"token expired at {issued.AddHours(1):yyyy-MM-dd'T'HH:mm:ss'Z'}, 60 minutes ago", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_NotYetValidToken_RefusesNotYetValid()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", NotBefore = DateTimeOffset.UtcNow.AddMinutes(10) });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.NotYetValid, outcome.Refusal);
        Assert.Contains("token is valid only from", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-50, 60, true)]
    [InlineData(-70, 60, false)]
    [InlineData(-5, 0, false)]
    [InlineData(280, 300, true)]
    public async Task ValidateAsync_ExpiryAroundClockSkew_AcceptsOnlyWithinSkew(int expiresInSeconds, int skewSeconds, bool accepted)
    {
        // Whole seconds either side of the boundary, because exp is a whole-second NumericDate and the
        // library reads the real clock.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "alice", IssuedAt = now.AddMinutes(-10), Lifetime = TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(expiresInSeconds),
        });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { ClockSkew = TimeSpan.FromSeconds(skewSeconds) });

        Assert.Equal(accepted ? TokenRefusal.None : TokenRefusal.Expired, outcome.Refusal);
    }

    [Theory]
    [InlineData(50, 60, true)]
    [InlineData(70, 60, false)]
    [InlineData(5, 0, false)]
    public async Task ValidateAsync_NotBeforeAroundClockSkew_AcceptsOnlyWithinSkew(int notBeforeInSeconds, int skewSeconds, bool accepted)
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", NotBefore = DateTimeOffset.UtcNow.AddSeconds(notBeforeInSeconds) });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { ClockSkew = TimeSpan.FromSeconds(skewSeconds) });

        Assert.Equal(accepted ? TokenRefusal.None : TokenRefusal.NotYetValid, outcome.Refusal);
    }

    [Fact]
    public async Task ValidateAsync_WrongAudience_RefusesNamingBothAudiences()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", Audience = "api://another-app" });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.WrongAudience, outcome.Refusal);
        Assert.Equal("audience 'api://another-app' is not 'api://opentunnel'", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_WrongIssuer_RefusesNamingBothIssuers()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", Issuer = "https://evil.example.org" });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.WrongIssuer, outcome.Refusal);
        Assert.Equal($"issuer 'https://evil.example.org' is not '{Issuer}'", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_IssuerWithTrailingSlash_RefusesWrongIssuer()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", Issuer = Issuer + "/" });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.WrongIssuer, outcome.Refusal);
    }

    [Fact]
    public async Task ValidateAsync_KeyEmbeddedInTheHeader_IsIgnoredAndRefusedAsUnknownKey()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), issuers.Other.KeyPath, (header, _) =>
        {
            header["kid"] = issuers.Other.KeyId;
            header["jwk"] = JsonNode.Parse(issuers.Other.JwksJson)!["keys"]![0]!.DeepClone();
            header["jku"] = "https://evil.example.org/jwks";
        });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.UnknownKey, outcome.Refusal);
    }

    [Fact]
    public async Task ValidateAsync_ClaimAlteredAfterSigning_RefusesBadSignature()
    {
        string token = ForgedTokens.WithAlteredClaim(_issuer.Mint("alice"), "preferred_username", "admin");

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.BadSignature, outcome.Refusal);
        Assert.Contains($"signature does not verify with key '{_issuer.KeyId}'", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SignedByAnotherKeyUnderTheIssuersKid_RefusesBadSignature()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), issuers.Other.KeyPath, (_, _) => { });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.BadSignature, outcome.Refusal);
    }

    [Fact]
    public async Task ValidateAsync_AlgNone_RefusesDisallowedAlgorithm()
    {
        string token = ForgedTokens.Unsigned(_issuer.Mint("alice"));

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.DisallowedAlgorithm, outcome.Refusal);
        Assert.Contains("unsigned (alg 'none')", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_HmacSignedWithThePublicKey_RefusesDisallowedAlgorithm()
    {
        string token = ForgedTokens.HmacSignedWithPublicKey(_issuer.Mint("alice"), ForgedTokens.PublicKeyPem(_issuer.KeyPath));

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.DisallowedAlgorithm, outcome.Refusal);
        Assert.Contains("signed with HMAC ('HS256')", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_AlgorithmOutsideTheAllowList_RefusesDisallowedAlgorithm()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (header, _) => header["alg"] = "RS512");

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.DisallowedAlgorithm, outcome.Refusal);
        Assert.Equal("algorithm 'RS512' is not in Auth:Algorithms (RS256, PS256, ES256)", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_AlgorithmAllowedByConfiguration_IsAccepted()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (header, _) => header["alg"] = "RS512");

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { Algorithms = ["RS512"] });

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_UnknownKid_RefusesUnknownKeyNamingTheKid()
    {
        TokenValidationOutcome outcome = await ValidateAsync(issuers.Other.Mint("alice"));

        Assert.Equal(TokenRefusal.UnknownKey, outcome.Refusal);
        Assert.Contains($"no key '{issuers.Other.KeyId}' in the issuer's keys (JWKS file {_issuer.JwksPath})", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_NoKidInHeader_TriesTheIssuersKeys()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (header, _) => header.Remove("kid"));

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_NoExpiry_RefusesMissingClaim()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (_, payload) => payload.Remove("exp"));

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.MissingClaim, outcome.Refusal);
        Assert.Contains("no expiry ('exp')", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_NotBeforeAfterExpiry_RefusesMalformed()
    {
        string token = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath,
            (_, payload) => payload["nbf"] = (long)payload["exp"]! + 60);

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.Malformed, outcome.Refusal);
        Assert.Contains("'nbf' is not before its 'exp'", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_RequiredClaimMissing_RefusesMissingClaim()
    {
        AuthOptions options = Options() with { RequiredClaims = [new RequiredClaim { Claim = "compliance", AnyOf = ["compliant"] }] };

        TokenValidationOutcome outcome = await ValidateAsync(_issuer.Mint("alice"), options);

        Assert.Equal(TokenRefusal.MissingClaim, outcome.Refusal);
        Assert.Equal("required claim 'compliance' is missing", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_RequiredClaimWithWrongValue_RefusesNamingValueAndAccepted()
    {
        AuthOptions options = Options() with { RequiredClaims = [new RequiredClaim { Claim = "compliance", AnyOf = ["compliant"] }] };
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "alice", ExtraClaims = new Dictionary<string, object> { ["compliance"] = "noncompliant" },
        });

        TokenValidationOutcome outcome = await ValidateAsync(token, options);

        Assert.Equal(TokenRefusal.MissingClaim, outcome.Refusal);
        Assert.Equal("claim 'compliance' is 'noncompliant', not one of 'compliant'", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_GroupsContainOneOfTheRequired_IsAccepted()
    {
        AuthOptions options = Options() with
        {
            RequiredClaims =
            [
                new RequiredClaim { Claim = "groups", AnyOf = ["vpn-admins", "vpn-users"] },
                new RequiredClaim { Claim = "compliance", AnyOf = ["compliant"] },
            ],
        };
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "alice", Groups = ["staff", "vpn-users"], ExtraClaims = new Dictionary<string, object> { ["compliance"] = "compliant" },
        });

        TokenValidationOutcome outcome = await ValidateAsync(token, options);

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_GroupsContainNoneOfTheRequired_RefusesMissingClaim()
    {
        AuthOptions options = Options() with { RequiredClaims = [new RequiredClaim { Claim = "groups", AnyOf = ["vpn-users"] }] };

        TokenValidationOutcome outcome = await ValidateAsync(_issuer.Mint("alice", groups: ["staff", "sales"]), options);

        Assert.Equal(TokenRefusal.MissingClaim, outcome.Refusal);
        Assert.Equal("claim 'groups' is 'staff', 'sales', not one of 'vpn-users'", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_RequiredClaimWithoutValues_OnlyNeedsToBePresent()
    {
        AuthOptions options = Options() with { RequiredClaims = [new RequiredClaim { Claim = "device_id" }] };

        Assert.True((await ValidateAsync(_issuer.Mint("alice", deviceId: "d1"), options)).Succeeded);
        Assert.Equal(TokenRefusal.MissingClaim, (await ValidateAsync(_issuer.Mint("alice"), options)).Refusal);
    }

    [Fact]
    public async Task ValidateAsync_TokenForAnotherSite_RefusesWrongSiteNamingBothSites()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", ExtraClaims = new Dictionary<string, object> { ["site"] = SiteA } });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { RequiredSite = SiteB });

        Assert.Equal(TokenRefusal.WrongSite, outcome.Refusal);
        Assert.Equal($"token was issued for site '{SiteA}', and this gateway serves site '{SiteB}' (Auth:RequiredSite)", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_TokenForThisSite_IsAccepted()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", ExtraClaims = new Dictionary<string, object> { ["site"] = SiteA } });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { RequiredSite = SiteA });

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_SiteRequiredAndTokenNamesNone_RefusesWrongSite()
    {
        TokenValidationOutcome outcome = await ValidateAsync(_issuer.Mint("alice"), Options() with { RequiredSite = SiteA });

        Assert.Equal(TokenRefusal.WrongSite, outcome.Refusal);
        Assert.Contains("token names no site ('site')", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SiteClaimListingThisSiteAndAnother_RefusesWrongSite()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest
        {
            Subject = "alice", ExtraClaims = new Dictionary<string, object> { ["site"] = new[] { SiteB, SiteA } },
        });

        TokenValidationOutcome outcome = await ValidateAsync(token, Options() with { RequiredSite = SiteA });

        Assert.Equal(TokenRefusal.WrongSite, outcome.Refusal);
    }

    [Fact]
    public async Task ValidateAsync_SiteClaimAlteredAfterSigning_RefusesBadSignature()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", ExtraClaims = new Dictionary<string, object> { ["site"] = SiteA } });

        TokenValidationOutcome outcome = await ValidateAsync(ForgedTokens.WithAlteredClaim(token, "site", SiteB), Options() with { RequiredSite = SiteB });

        Assert.Equal(TokenRefusal.BadSignature, outcome.Refusal);
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("application/at+jwt")]
    [InlineData("AT+JWT")]
    [InlineData("JWT")]
    [InlineData(null)]
    public async Task ValidateAsync_AccessTokenTypeAcceptedByDefault_IsAccepted(string? type)
    {
        string token = WithType(_issuer.Mint("alice"), type);

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Theory]
    [InlineData("dpop+jwt")]
    [InlineData("logout+jwt")]
    [InlineData("secevent+jwt")]
    public async Task ValidateAsync_OtherTokenType_RefusesWrongTypeNamingTheSetting(string type)
    {
        TokenValidationOutcome outcome = await ValidateAsync(WithType(_issuer.Mint("alice"), type));

        Assert.Equal(TokenRefusal.WrongType, outcome.Refusal);
        Assert.Equal($"token type '{type}' is not in Auth:ValidTypes (at+jwt, JWT)", outcome.Detail);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData(null)]
    public async Task ValidateAsync_OnlyAtJwtConfigured_RefusesPlainJwtAndUntypedTokens(string? type)
    {
        TokenValidationOutcome outcome = await ValidateAsync(WithType(_issuer.Mint("alice"), type), Options() with { ValidTypes = ["at+jwt"] });

        Assert.Equal(TokenRefusal.WrongType, outcome.Refusal);
        Assert.Contains("is not in Auth:ValidTypes (at+jwt)", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nonce")]
    [InlineData("at_hash")]
    public async Task ValidateAsync_IdTokenWithTheGatewaysAudience_RefusesWrongType(string claim)
    {
        string idToken = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (_, payload) => payload[claim] = "n-0S6_WzA2Mj");

        TokenValidationOutcome outcome = await ValidateAsync(idToken);

        Assert.Equal(TokenRefusal.WrongType, outcome.Refusal);
        Assert.Equal($"token carries '{claim}', so it is an ID token, not an access token (Auth:AllowIdTokenClaims is false)", outcome.Detail);
    }

    [Fact]
    public async Task ValidateAsync_IdTokenClaimsAllowedBySetting_IsAccepted()
    {
        string idToken = ForgedTokens.Resigned(_issuer.Mint("alice"), _issuer.KeyPath, (_, payload) => payload["nonce"] = "n-0S6_WzA2Mj");

        TokenValidationOutcome outcome = await ValidateAsync(idToken, Options() with { AllowIdTokenClaims = true });

        Assert.True(outcome.Succeeded, outcome.Detail);
    }

    [Theory]
    [InlineData("", "no token was presented")]
    [InlineData("secret-password", "not a JWT: a signed JWT has three base64url parts separated by '.', this has 1")]
    [InlineData("a.b", "this has 2")]
    [InlineData("not.base64!.json", "not a JWT: its header or payload is not base64url-encoded JSON")]
    [InlineData("a.b.c.d.e", "token is encrypted (JWE)")]
    public async Task ValidateAsync_NotAJwt_RefusesMalformed(string token, string expected)
    {
        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.Malformed, outcome.Refusal);
        Assert.Contains(expected, outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_OversizedToken_RefusesMalformed()
    {
        TokenValidationOutcome outcome = await ValidateAsync(new string('a', JwtAccessTokenValidator.MaximumTokenLength + 1));

        Assert.Equal(TokenRefusal.Malformed, outcome.Refusal);
        Assert.Contains("more than the 65536 accepted", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_JwksFileMissing_RefusesKeysUnavailableNamingTheFile()
    {
        string missing = issuers.Directory.File("missing-jwks.json");

        TokenValidationOutcome outcome = await ValidateAsync(_issuer.Mint("alice"), Options() with { JwksFile = missing });

        Assert.Equal(TokenRefusal.KeysUnavailable, outcome.Refusal);
        Assert.Contains($"could not get the signing keys from JWKS file {missing}", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_AnyRefusal_NeverQuotesTheToken()
    {
        string good = _issuer.Mint("alice");
        string[] bad =
        [
            ForgedTokens.WithAlteredClaim(good, "aud", "x"),
            ForgedTokens.Unsigned(good),
            ForgedTokens.HmacSignedWithPublicKey(good, ForgedTokens.PublicKeyPem(_issuer.KeyPath)),
            _issuer.Mint(new DevelopmentTokenRequest { Subject = "a", IssuedAt = DateTimeOffset.UtcNow.AddDays(-1) }),
            _issuer.Mint(new DevelopmentTokenRequest { Subject = "a", Audience = "other" }),
        ];

        foreach (string token in bad)
        {
            TokenValidationOutcome outcome = await ValidateAsync(token);
            Assert.False(outcome.Succeeded);
            foreach (string part in token.Split('.'))
            {
                Assert.True(part.Length == 0 || !outcome.Detail.Contains(part, StringComparison.Ordinal), outcome.Detail);
            }
        }
    }

    [Fact]
    public async Task ValidateAsync_ControlCharactersInQuotedValues_AreReplaced()
    {
        string token = _issuer.Mint(new DevelopmentTokenRequest { Subject = "alice", Issuer = "https://evil\n2026-01-01 forged log line" });

        TokenValidationOutcome outcome = await ValidateAsync(token);

        Assert.Equal(TokenRefusal.WrongIssuer, outcome.Refusal);
        Assert.DoesNotContain('\n', outcome.Detail);
    }

    /// <summary>The token with its <c>typ</c> header set (null: removed), signed again by the trusted issuer.</summary>
    private string WithType(string token, string? type) => ForgedTokens.Resigned(token, _issuer.KeyPath, (header, _) =>
    {
        header.Remove("typ");
        if (type is not null)
        {
            header["typ"] = type;
        }
    });

    private AuthOptions Options() => new() { Issuer = Issuer, Audience = Audience, JwksFile = _issuer.JwksPath };

    private async Task<TokenValidationOutcome> ValidateAsync(string token, AuthOptions? options = null)
    {
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(options ?? Options(), NullLoggerFactory.Instance);
        return await validator.ValidateAsync(token, CancellationToken.None);
    }
}
