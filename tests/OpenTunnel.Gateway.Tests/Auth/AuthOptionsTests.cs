using Microsoft.Extensions.Configuration;
using OpenTunnel.Gateway.Auth;

namespace OpenTunnel.Gateway.Tests.Auth;

[Trait("Category", "Unit")]
public sealed class AuthOptionsTests
{
    private static readonly AuthOptions Good = new() { Issuer = "https://login.example.net/tenant/v2.0", Audience = "api://opentunnel" };

    [Fact]
    public void Validate_IssuerAndAudienceOnly_HasNoErrorsAndDocumentedDefaults()
    {
        Assert.Empty(Good.Validate());
        Assert.Equal(["RS256", "PS256", "ES256"], Good.EffectiveAlgorithms);
        Assert.Equal("https://login.example.net/tenant/v2.0/.well-known/openid-configuration", Good.EffectiveMetadataAddress);
        Assert.Equal(TimeSpan.FromSeconds(60), Good.ClockSkew);
        Assert.Equal("preferred_username", Good.UserNameClaim);
        Assert.Equal("device_id", Good.DeviceIdClaim);
        Assert.True(Good.RequireHttpsMetadata);
        Assert.Null(Good.RequiredSite);
        Assert.Equal("site", Good.SiteClaim);
        Assert.Equal(["at+jwt", "JWT"], Good.EffectiveValidTypes);
        Assert.False(Good.AllowIdTokenClaims);
    }

    public static TheoryData<AuthOptions, string> BadOptions => new()
    {
        { Good with { Issuer = "" }, "Auth:Issuer must be an absolute https or http URL" },
        { Good with { Issuer = "login.example.net" }, "Auth:Issuer must be an absolute https or http URL" },
        { Good with { Issuer = "ftp://login.example.net" }, "Auth:Issuer must be an absolute https or http URL" },
        { Good with { Issuer = "http://127.0.0.1:5000" }, "Auth:Issuer uses http" },
        { Good with { MetadataAddress = "http://127.0.0.1:5000/.well-known/openid-configuration" }, "Auth:MetadataAddress uses http" },
        { Good with { MetadataAddress = "/relative" }, "Auth:MetadataAddress must be an absolute https or http URL" },
        { Good with { Audience = " " }, "Auth:Audience must be set" },
        { Good with { JwksFile = "keys/jwks.json" }, "Auth:JwksFile must be an absolute path" },
        { Good with { JwksFile = "/etc/opentunnel/jwks.json", MetadataAddress = "https://x.example/m" }, "Auth:MetadataAddress and Auth:JwksFile exclude each other" },
        { Good with { CaPin = "sha256:abc" }, "Auth:CaPin 'sha256:abc' is not a certificate pin" },
        { Good with { CaFile = "ca.pem" }, "Auth:CaFile must be an absolute path" },
        { Good with { CaFile = "/nonexistent/ca.pem" }, "Auth:CaFile '/nonexistent/ca.pem' cannot be read as PEM certificates" },
        { Good with { CaPin = "pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", CaFile = "/etc/ssl/ca.pem" }, "Auth:CaPin and Auth:CaFile exclude each other" },
        { Good with { CaPin = "pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", JwksFile = "/etc/opentunnel/jwks.json" }, "Auth:CaPin is for fetching discovery over https and has no use with Auth:JwksFile" },
        { Good with { Algorithms = ["none"] }, "Auth:Algorithms must not contain 'none'" },
        { Good with { Algorithms = ["RS256", "HS256"] }, "Auth:Algorithms must not contain 'HS256'" },
        { Good with { Algorithms = ["RS1"] }, "Auth:Algorithms contains 'RS1', which is not one of" },
        { Good with { Algorithms = [] }, "Auth:Algorithms must list at least one algorithm" },
        { Good with { RequiredClaims = [new RequiredClaim { Claim = "" }] }, "Auth:RequiredClaims:0:Claim must name a claim" },
        { Good with { RequiredClaims = [new RequiredClaim { Claim = "groups", AnyOf = ["a", ""] }] }, "Auth:RequiredClaims:0:AnyOf must not contain an empty value" },
        { Good with { RequiredSite = " " }, "Auth:RequiredSite must name a site" },
        { Good with { SiteClaim = "" }, "Auth:SiteClaim must name a claim" },
        { Good with { ValidTypes = [] }, "Auth:ValidTypes must list at least one token type" },
        { Good with { ValidTypes = ["at+jwt", ""] }, "Auth:ValidTypes must not contain an empty type" },
        { Good with { UserNameClaim = "" }, "Auth:UserNameClaim must name a claim" },
        { Good with { DeviceIdClaim = "" }, "Auth:DeviceIdClaim must name a claim" },
        { Good with { GroupsClaim = "" }, "Auth:GroupsClaim must name a claim" },
        { Good with { ClockSkew = TimeSpan.FromSeconds(301) }, "Auth:ClockSkew must be between 0 and 300 seconds (got 301)" },
        { Good with { ClockSkew = TimeSpan.FromSeconds(-1) }, "Auth:ClockSkew must be between 0 and 300 seconds (got -1)" },
        { Good with { KeyRefreshMinimumInterval = TimeSpan.Zero }, "Auth:KeyRefreshMinimumInterval must be between 1 and 3600 seconds" },
        { Good with { KeyRefreshInterval = TimeSpan.FromMinutes(1) }, "Auth:KeyRefreshInterval must be between 300 and 604800 seconds" },
        { Good with { KeyFetchRetryDelay = TimeSpan.FromMinutes(6) }, "Auth:KeyFetchRetryDelay must be between 1 and 300 seconds" },
        { Good with { MetadataTimeout = TimeSpan.FromMinutes(5) }, "Auth:MetadataTimeout must be between 1 and 60 seconds" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadSetting_ReturnsErrorNamingTheSetting(AuthOptions options, string expected)
    {
        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_HttpIssuerWithHttpsNotRequired_HasNoErrors()
    {
        Assert.Empty((Good with { Issuer = "http://127.0.0.1:5000", RequireHttpsMetadata = false }).Validate());
    }

    [Fact]
    public void Validate_HttpIssuerWithJwksFile_HasNoErrorsBecauseNothingIsFetched()
    {
        Assert.Empty((Good with { Issuer = "http://gateway.local", JwksFile = "/var/lib/opentunnel/jwks.json" }).Validate());
    }

    [Fact]
    public void Validate_SeveralBadSettings_ListsEachOne()
    {
        IReadOnlyList<string> errors = new AuthOptions { Issuer = "x", Audience = "", ClockSkew = TimeSpan.FromHours(1) }.Validate();

        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Bind_ConfigurationSection_FillsEverySetting()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Issuer"] = "https://login.microsoftonline.com/tenant/v2.0",
            ["Auth:Audience"] = "api://opentunnel",
            ["Auth:Algorithms:0"] = "RS256",
            ["Auth:RequiredClaims:0:Claim"] = "groups",
            ["Auth:RequiredClaims:0:AnyOf:0"] = "g1",
            ["Auth:RequiredClaims:0:AnyOf:1"] = "g2",
            ["Auth:RequiredClaims:1:Claim"] = "deviceid",
            ["Auth:UserNameClaim"] = "upn",
            ["Auth:ClockSkew"] = "00:00:30",
            ["Auth:RequireHttpsMetadata"] = "false",
            ["Auth:RequiredSite"] = "5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c",
            ["Auth:ValidTypes:0"] = "at+jwt",
            ["Auth:AllowIdTokenClaims"] = "true",
        }).Build();

        AuthOptions options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>()!;

        Assert.Equal("https://login.microsoftonline.com/tenant/v2.0", options.Issuer);
        Assert.Equal(["RS256"], options.EffectiveAlgorithms);
        Assert.Equal(2, options.RequiredClaims.Count);
        Assert.Equal(["g1", "g2"], options.RequiredClaims[0].AnyOf);
        Assert.Empty(options.RequiredClaims[1].AnyOf);
        Assert.Equal("upn", options.UserNameClaim);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ClockSkew);
        Assert.False(options.RequireHttpsMetadata);
        Assert.Equal("5b0c6a53-8f3e-4d7a-9d42-0c1f2e3a4b5c", options.RequiredSite);
        Assert.Equal(["at+jwt"], options.EffectiveValidTypes);
        Assert.True(options.AllowIdTokenClaims);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Create_InvalidOptions_ThrowsNamingTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            JwtAccessTokenValidator.Create(Good with { Algorithms = ["HS256"] }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

        Assert.Contains("Auth:Algorithms must not contain 'HS256'", e.Message, StringComparison.Ordinal);
    }
}
