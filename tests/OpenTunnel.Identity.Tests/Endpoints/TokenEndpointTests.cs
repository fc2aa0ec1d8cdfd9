using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Endpoints;

/// <summary>
/// The provider over real HTTP on 127.0.0.1: discovery and JWKS read by Microsoft.IdentityModel and
/// by the gateway's own token validator, the device flow end to end, client credentials, and
/// conditional access at issuance with the reason of each refusal.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TokenEndpointTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private const string GatewayScope = "openid offline_access opentunnel.gateway";

    [Fact]
    public async Task Discovery_ReadByIdentityModel_NamesEndpointsFlowsAndSigningKeys()
    {
        OpenIdConnectConfiguration configuration = await OpenIdConnectConfigurationRetriever.GetAsync(
            fixture.Issuer + ".well-known/openid-configuration", new HttpDocumentRetriever { RequireHttps = false }, CancellationToken.None);

        Assert.Equal(fixture.Issuer, configuration.Issuer);
        Assert.Equal(fixture.Issuer + "connect/token", configuration.TokenEndpoint);
        Assert.Equal(fixture.Issuer + "connect/device", configuration.DeviceAuthorizationEndpoint);
        Assert.Equal(fixture.Issuer + "connect/userinfo", configuration.UserInfoEndpoint);
        Assert.Contains("urn:ietf:params:oauth:grant-type:device_code", configuration.GrantTypesSupported);
        Assert.Contains("client_credentials", configuration.GrantTypesSupported);
        Assert.Contains("authorization_code", configuration.GrantTypesSupported);
        Assert.Contains("S256", configuration.CodeChallengeMethodsSupported);
        Assert.NotEmpty(configuration.SigningKeys);
        Assert.All(configuration.JsonWebKeySet.Keys, k => Assert.False(k.HasPrivateKey));
    }

    /// <summary>
    /// Devices starting a sign-in together each write a token row to the one SQLite file: each
    /// waits for the write lock instead of failing with "database is locked" (a 500).
    /// </summary>
    [Fact]
    public async Task ParallelDeviceAuthorizations_OnSqlite_EveryOneAnswered()
    {
        (string, string)[] codes = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => fixture.Oidc.RequestDeviceCodeAsync(GatewayScope)));

        Assert.Equal(60, codes.Select(c => c.Item1).Distinct().Count());
    }

    [Fact]
    public async Task DeviceFlow_CompliantDevice_GatewayValidatorAcceptsTokenWithAllClaims()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);

        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway", RequireHttpsMetadata = false }, NullLoggerFactory.Instance);
        TokenValidationOutcome outcome = await validator.ValidateAsync(tokens.AccessToken!, CancellationToken.None);
        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.Equal(user.Name, outcome.UserName);
        Assert.Equal(user.Id, outcome.Subject);
        Assert.Equal(device.Id, outcome.DeviceId);
        Assert.Equal([fixture.AllowedGroupName], outcome.Groups);
        Assert.NotNull(outcome.TokenId);

        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal("compliant", jwt.GetClaim("compliance").Value);
        Assert.Equal(fixture.SiteId, jwt.GetClaim("site").Value);
        Assert.True(jwt.TryGetClaim("auth_time", out _), "auth_time is missing");
        Assert.Equal(TimeSpan.FromMinutes(10), jwt.ValidTo - jwt.IssuedAt);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.NotNull(tokens.RefreshToken);
    }

    [Fact]
    public async Task DeviceFlow_TokenAskedForBySiteName_PassesAtThatSitesGateway_AndIsRefusedAtAnotherSites()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        // RequiredSite as the management service pushes it to a site's gateways: the site's Guid.ToString().
        TokenValidationOutcome atOwnSite = await ValidateAtSiteAsync(tokens.AccessToken!, Guid.Parse(fixture.SiteId).ToString());
        TokenValidationOutcome atOtherSite = await ValidateAtSiteAsync(tokens.AccessToken!, Guid.NewGuid().ToString());

        Assert.True(atOwnSite.Succeeded, atOwnSite.Detail);
        Assert.Equal(TokenRefusal.WrongSite, atOtherSite.Refusal);
        Assert.Contains($"token was issued for site '{fixture.SiteId}'", atOtherSite.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceFlow_NonCompliantDevice_AccessDeniedNamingCompliance()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user, compliant: false);

        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        AssertDenied(refused, "requires a compliant device; the device is NonCompliant");
        Assert.Contains("disk encryption is required", refused.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceFlow_UserOutsideAllowedGroups_AccessDeniedNamingPolicy()
    {
        TestUser user = await fixture.CreateUserAsync(inAllowedGroup: false);
        TestDevice device = await fixture.EnrolDeviceAsync(user);

        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        AssertDenied(refused, "No enabled conditional-access policy gives the user's groups this site.");
    }

    [Fact]
    public async Task DeviceFlow_UserDisabledAfterApproval_AccessDenied()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        (string deviceCode, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(GatewayScope);
        using HttpResponseMessage approved = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");
        ApiResponse disabled = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = false, groupIds = new[] { fixture.AllowedGroupId } }, current.ETag);
        Assert.Equal(HttpStatusCode.OK, disabled.Status);

        TokenResponse refused = await fixture.Oidc.PollAsync(deviceCode, GatewayParameters(device));

        // Two refusals race, both right: conditional access at the token endpoint, or continuous
        // access evaluation revoking the user's tokens (the approved device code among them) first.
        if (refused.Error == "invalid_grant")
        {
            Assert.Contains("no longer valid", refused.ErrorDescription, StringComparison.Ordinal);
        }
        else
        {
            AssertDenied(refused, $"User {user.Name} is disabled.");
        }
    }

    [Fact]
    public async Task DeviceFlow_AssertionSignedByAnotherKey_AccessDenied()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        var thief = TestDevice.Generate();

        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => new Dictionary<string, string>
        {
            ["device_assertion"] = device.Assertion(fixture.Oidc.TokenEndpoint, signer: thief),
            ["site"] = fixture.SiteName,
        });

        AssertDenied(refused, $"signature does not verify with device {device.Id}'s enrolled key");
    }

    [Fact]
    public async Task DeviceFlow_WithoutDeviceAssertion_AccessDeniedAskingForDevice()
    {
        TestUser user = await fixture.CreateUserAsync();

        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope);

        AssertDenied(refused, "requires an enrolled device. No device was presented");
    }

    [Fact]
    public async Task DeviceFlow_ReplayedDeviceAssertion_AccessDenied()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        Dictionary<string, string> once = GatewayParameters(device);
        TokenResponse first = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => once);

        TokenResponse replayed = await fixture.Oidc.RefreshAsync(first.RefreshToken!, once);

        AssertDenied(replayed, "was already used");
    }

    [Fact]
    public async Task DeviceFlow_DeviceOfAnotherUser_AccessDenied()
    {
        TestUser owner = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(owner);
        TestUser other = await fixture.CreateUserAsync();

        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(other.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        AssertDenied(refused, $"Device {device.Id} is enrolled to another user");
    }

    [Fact]
    public async Task Refresh_WithNewAssertion_IssuesNewGatewayTokenAfterCheckingAgain()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        TokenResponse first = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => GatewayParameters(device));

        TokenResponse refreshed = await fixture.Oidc.RefreshAsync(first.RefreshToken!, GatewayParameters(device));

        Assert.True(refreshed.AccessToken is not null, refreshed.Json.ToString());
        Assert.Equal(device.Id, new JsonWebToken(refreshed.AccessToken).GetClaim("device_id").Value);
    }

    /// <summary>
    /// The client's sign-in after enrolment is granted both scopes; each token it sends is for one
    /// audience only, and narrowing one refresh does not narrow the sign-in (RFC 6749 section 6).
    /// </summary>
    [Fact]
    public async Task Refresh_NarrowedToOneScope_TokenForThatAudienceOnly_SignInKeepsBoth()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        TokenResponse signIn = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope + " opentunnel.device", () => GatewayParameters(device));

        TokenResponse management = await fixture.Oidc.RefreshAsync(signIn.RefreshToken!, new Dictionary<string, string> { ["scope"] = "opentunnel.device" });
        TokenResponse gateway = await fixture.Oidc.RefreshAsync(management.RefreshToken!, new Dictionary<string, string>(GatewayParameters(device)) { ["scope"] = "opentunnel.gateway" });
        TokenResponse managementAgain = await fixture.Oidc.RefreshAsync(gateway.RefreshToken!, new Dictionary<string, string> { ["scope"] = "opentunnel.device" });

        Assert.Equal(["opentunnel-gateway"], new JsonWebToken(signIn.AccessToken).Audiences);
        Assert.True(management.AccessToken is not null, management.Json.ToString());
        Assert.Equal(["opentunnel-management"], new JsonWebToken(management.AccessToken).Audiences);
        Assert.Equal("opentunnel.device", new JsonWebToken(management.AccessToken).GetClaim("scope").Value);
        Assert.True(gateway.AccessToken is not null, gateway.Json.ToString());
        Assert.Equal(["opentunnel-gateway"], new JsonWebToken(gateway.AccessToken).Audiences);
        Assert.Equal(device.Id, new JsonWebToken(gateway.AccessToken).GetClaim("device_id").Value);
        Assert.True(managementAgain.AccessToken is not null, managementAgain.Json.ToString());
    }

    [Fact]
    public async Task ClientCredentials_AutomationClient_GetsManagementTokenWithRole()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/automation-clients", new { name = ManagementAppFixture.Unique("ci"), role = "read-only" });
        string clientId = created.Json.GetProperty("client").GetProperty("clientId").GetString()!;
        string secret = created.Json.GetProperty("clientSecret").GetString()!;

        TokenResponse tokens = await fixture.Oidc.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = "opentunnel.management",
        });

        Assert.True(tokens.AccessToken is not null, tokens.Json.ToString());
        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal("read-only", jwt.GetClaim("role").Value);
        Assert.Equal(clientId, jwt.Subject);
        Assert.Equal(["opentunnel-management"], jwt.Audiences);
    }

    [Fact]
    public async Task ClientCredentials_WrongSecret_InvalidClient()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/automation-clients", new { name = ManagementAppFixture.Unique("ci"), role = "full-admin" });
        string clientId = created.Json.GetProperty("client").GetProperty("clientId").GetString()!;

        TokenResponse refused = await fixture.Oidc.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = "not the secret",
        });

        Assert.Equal("invalid_client", refused.Error);
    }

    private Dictionary<string, string> GatewayParameters(TestDevice device) => new()
    {
        ["device_assertion"] = device.Assertion(fixture.Oidc.TokenEndpoint),
        ["site"] = fixture.SiteName,
    };

    private async Task<TokenValidationOutcome> ValidateAtSiteAsync(string token, string site)
    {
        // Default Auth:ValidTypes: the provider's at+jwt must pass without configuration.
        using JwtAccessTokenValidator validator = JwtAccessTokenValidator.Create(
            new AuthOptions { Issuer = fixture.Issuer, Audience = "opentunnel-gateway", RequireHttpsMetadata = false, RequiredSite = site }, NullLoggerFactory.Instance);
        return await validator.ValidateAsync(token, CancellationToken.None);
    }

    private static void AssertDenied(TokenResponse response, string expectedDescription)
    {
        Assert.True(response.Error == "access_denied", $"Expected access_denied, got: {response.Json}");
        Assert.Contains(expectedDescription, response.ErrorDescription, StringComparison.Ordinal);
    }
}
