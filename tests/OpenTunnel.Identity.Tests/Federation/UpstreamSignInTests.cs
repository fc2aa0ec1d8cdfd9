using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Identity.Tests.Federation;

/// <summary>
/// Federation between two real instances of the provider over HTTPS on 127.0.0.1: the downstream
/// signs users in through the upstream (code flow with PKCE, a confidential client), creates them
/// at the first sign-in, matches them afterwards, takes their groups through the mapping at each
/// sign-in, and checks the upstream at each refresh.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UpstreamSignInTests(FederationFixture federation) : IClassFixture<FederationFixture>
{
    private IdentityFixture Downstream => federation.Downstream;

    [Fact]
    public async Task FirstSignIn_CreatesTheUserWithMappedGroups_IgnoringUnmappedAndUnknownOnes()
    {
        TestUser upstreamUser = await federation.CreateUpstreamUserAsync(FederationFixture.MappedGroup, FederationFixture.UnmappedGroup, FederationFixture.MappedToNothing);

        TokenResponse tokens = await federation.SignInThroughUpstreamAsync(upstreamUser);

        Assert.True(tokens.Status == HttpStatusCode.OK, tokens.Json.ToString());
        var access = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(Downstream.Issuer, access.Issuer);
        Assert.Equal(upstreamUser.Name, access.GetClaim("preferred_username").Value);
        Assert.Equal(FederationFixture.UpstreamName, access.GetClaim("idp").Value);
        Assert.Equal([Downstream.AllowedGroupName], access.Claims.Where(c => c.Type == "groups").Select(c => c.Value));
        Assert.NotEqual(upstreamUser.Id, access.Subject);

        JsonElement created = await DownstreamUserAsync(upstreamUser.Name);
        Assert.Equal(access.Subject, created.GetProperty("id").GetString());
        Assert.Equal([Downstream.AllowedGroupId], created.GetProperty("groupIds").EnumerateArray().Select(g => g.GetString()));
        Downstream.AssertLogged(6120, $"User {upstreamUser.Name} ({access.Subject}) signed in through upstream corp (subject {upstreamUser.Id})");
        Downstream.AssertLogged(6122, $"ignored: not in the mapping [{FederationFixture.UnmappedGroup}]; mapped to no group of ours [no-such-group]");
    }

    [Fact]
    public async Task SecondSignIn_MatchesTheSameUser_AndTakesItsGroupsAgain()
    {
        TestUser upstreamUser = await federation.CreateUpstreamUserAsync(FederationFixture.MappedGroup);
        TokenResponse first = await federation.SignInThroughUpstreamAsync(upstreamUser);
        Assert.True(first.Status == HttpStatusCode.OK, first.Json.ToString());
        await federation.UpdateUpstreamUserAsync(upstreamUser, enabled: true, FederationFixture.UnmappedGroup);

        TokenResponse second = await federation.SignInThroughUpstreamAsync(upstreamUser);

        Assert.True(second.Status == HttpStatusCode.OK, second.Json.ToString());
        Assert.Equal(new JsonWebToken(first.AccessToken).Subject, new JsonWebToken(second.AccessToken).Subject);
        Assert.DoesNotContain(new JsonWebToken(second.AccessToken).Claims, c => c.Type == "groups");
        JsonElement matched = await DownstreamUserAsync(upstreamUser.Name);
        Assert.Empty(matched.GetProperty("groupIds").EnumerateArray());
    }

    [Fact]
    public async Task DeviceFlowThroughUpstream_EnrolsADevice_AndGetsAGatewayTokenUnderConditionalAccess()
    {
        TestUser upstreamUser = await federation.CreateUpstreamUserAsync(FederationFixture.MappedGroup);
        (string enrolmentCode, string enrolmentUserCode) = await Downstream.Oidc.RequestDeviceCodeAsync("openid opentunnel.device");
        await federation.ApproveDeviceThroughUpstreamAsync(upstreamUser, enrolmentUserCode);
        TokenResponse enrolment = await Downstream.Oidc.PollAsync(enrolmentCode);
        Assert.True(enrolment.Status == HttpStatusCode.OK, enrolment.Json.ToString());
        using HttpClient api = federation.Browser();
        api.BaseAddress = Downstream.App.Address;
        TestDevice device = await TestDevice.EnrolAsync(api, enrolment.AccessToken!);

        (string deviceCode, string userCode) = await Downstream.Oidc.RequestDeviceCodeAsync("openid offline_access opentunnel.gateway opentunnel.device");
        await federation.ApproveDeviceThroughUpstreamAsync(upstreamUser, userCode);
        TokenResponse gateway = await Downstream.Oidc.PollAsync(deviceCode, new Dictionary<string, string>
        {
            ["device_assertion"] = device.Assertion(Downstream.Oidc.TokenEndpoint),
            ["site"] = Downstream.SiteName,
        });

        Assert.True(gateway.Status == HttpStatusCode.OK, gateway.Json.ToString());
        var access = new JsonWebToken(gateway.AccessToken);
        Assert.Equal("opentunnel-gateway", Assert.Single(access.Audiences));
        Assert.Equal(device.Id, access.GetClaim("device_id").Value);
        Assert.Equal("compliant", access.GetClaim("compliance").Value);
        Assert.Equal(Downstream.SiteId, access.GetClaim("site").Value);
        Assert.Equal(FederationFixture.UpstreamName, access.GetClaim("idp").Value);
        Assert.Equal([Downstream.AllowedGroupName], access.Claims.Where(c => c.Type == "groups").Select(c => c.Value));
    }

    [Fact]
    public async Task PasswordSignIn_WithLocalAccountsOff_IsRefused()
    {
        TestUser local = await Downstream.CreateUserAsync();
        using HttpClient browser = federation.Browser();
        browser.BaseAddress = Downstream.App.Address;
        var code = new CodeFlowClient(browser, Downstream.Oidc);
        Dictionary<string, string> form = code.AuthorizationParameters();
        form["username"] = local.Name;
        form["password"] = IdentityFixture.Password;

        using HttpResponseMessage refused = await browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Signing in with a user name and password is turned off here", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Downstream.AssertLogged(6101, $"Sign-in of {local.Name} from 127.0.0.1 refused: local accounts are turned off (Identity:LocalAccounts)");
    }

    [Fact]
    public async Task UserDisabledUpstream_LosesAccessAtTheNextRefresh()
    {
        TestUser upstreamUser = await federation.CreateUpstreamUserAsync(FederationFixture.MappedGroup);
        TokenResponse signedIn = await federation.SignInThroughUpstreamAsync(upstreamUser);
        Assert.True(signedIn.Status == HttpStatusCode.OK, signedIn.Json.ToString());
        // While the upstream accepts the user, refreshes work (the upstream's refresh token rolls over each time).
        TokenResponse refreshed = await Downstream.Oidc.TokenAsync(RefreshForm(signedIn.RefreshToken!));
        Assert.True(refreshed.Status == HttpStatusCode.OK, refreshed.Json.ToString());
        refreshed = await Downstream.Oidc.TokenAsync(RefreshForm(refreshed.RefreshToken!));
        Assert.True(refreshed.Status == HttpStatusCode.OK, refreshed.Json.ToString());

        await federation.UpdateUpstreamUserAsync(upstreamUser, enabled: false, FederationFixture.MappedGroup);
        TokenResponse refused = await Downstream.Oidc.TokenAsync(RefreshForm(refreshed.RefreshToken!));

        Assert.Equal("invalid_grant", refused.Error);
        Assert.Contains($"Every session of {upstreamUser.Name} ended: corp refused the user's refresh: ", refused.ErrorDescription, StringComparison.Ordinal);
        Downstream.AssertLogged(6123, $"Refresh of {upstreamUser.Name} (");
        Downstream.AssertLogged(6112, $"Sessions of {upstreamUser.Name} revoked by upstream:corp");
        ApiResponse audit = await Downstream.Admin.ReadAsync($"/api/v1/audit?entityId={new JsonWebToken(signedIn.AccessToken).Subject}");
        Assert.Contains("sessions ended at refresh: corp refused the user", audit.Body, StringComparison.Ordinal);
        // The session is over: the same refresh token does not come back to life.
        TokenResponse again = await Downstream.Oidc.TokenAsync(RefreshForm(refreshed.RefreshToken!));
        Assert.Equal("invalid_grant", again.Error);
    }

    [Theory]
    [InlineData("Identity__Upstreams__0__Issuer", "not a url", "Identity:Upstreams:0:Issuer must be the upstream's issuer")]
    [InlineData("Identity__Upstreams__0__ClientId", " ", "Identity:Upstreams:0:ClientId must not be empty")]
    [InlineData("Identity__Upstreams__0__Scopes__0", "profile", "Identity:Upstreams:0:Scopes must contain 'openid'")]
    [InlineData("Identity__Upstreams__0__CaFile", "/nonexistent/ca.pem", "Identity:Upstreams:0:CaFile '/nonexistent/ca.pem' cannot be read")]
    public async Task BadUpstreamSetting_IsRefusedAtStart_NamingIt(string variable, string value, string named)
    {
        // The real executable, as ExecutableTests starts it: the in-memory host reports a bad setting only on standard error.
        using var data = new TemporaryDirectory();
        var environment = new Dictionary<string, string>
        {
            ["Management__DataDirectory"] = data.Path,
            ["Management__Https__AllowLoopbackHttp"] = "true",
            ["Identity__Upstreams__0__Name"] = FederationFixture.UpstreamName,
            ["Identity__Upstreams__0__Issuer"] = federation.Upstream.Issuer,
            ["Identity__Upstreams__0__ClientId"] = FederationFixture.ClientId,
        };
        environment[variable] = value;
        using TrackedProcess service = TrackedProcess.Start(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "opentunnel-management.dll"), "serve", "--urls", $"http://127.0.0.1:{LoopbackPorts.Free()}"], environment: environment);

        int exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(78, exitCode);
        Assert.Contains("opentunnel-management: the configuration is not valid: ", service.Output, StringComparison.Ordinal);
        Assert.Contains(named, service.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> RefreshForm(string refreshToken) => new()
    {
        ["grant_type"] = "refresh_token",
        ["refresh_token"] = refreshToken,
        ["client_id"] = CodeFlowClient.ConsoleClient,
    };

    private async Task<JsonElement> DownstreamUserAsync(string name)
    {
        ApiResponse users = await Downstream.Admin.ReadAsync($"/api/v1/users?name={Uri.EscapeDataString(name)}");
        JsonElement[] items = [.. users.Json.GetProperty("items").EnumerateArray()];
        return Assert.Single(items);
    }
}
