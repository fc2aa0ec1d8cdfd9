using System.Net;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Endpoints;

/// <summary>
/// Attacks on the flows, each refused and logged: a replayed authorization code, a PKCE verifier
/// that does not match, a refresh token after revocation, guessed passwords (throttled), a reused
/// TOTP code, a disabled user. Also the code flow's success, which the attacks start from.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecurityTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private const string DeviceScope = "openid offline_access opentunnel.device";

    [Fact]
    public async Task AuthorizationCode_WithPkce_IssuesTokensForTheUser()
    {
        TestUser user = await fixture.CreateUserAsync();
        var console = new CodeFlowClient(fixture.Anonymous, fixture.Oidc);

        TokenResponse tokens = await console.RedeemAsync(await console.SignInAsync(user.Name, IdentityFixture.Password));

        Assert.True(tokens.AccessToken is not null, tokens.Json.ToString());
        Assert.True(tokens.Json.TryGetProperty("id_token", out _), "no id_token for scope openid");
    }

    [Fact]
    public async Task AuthorizationCode_Replayed_RefusedAndLogged()
    {
        TestUser user = await fixture.CreateUserAsync();
        var console = new CodeFlowClient(fixture.Anonymous, fixture.Oidc);
        string code = await console.SignInAsync(user.Name, IdentityFixture.Password);
        Assert.NotNull((await console.RedeemAsync(code)).AccessToken);

        TokenResponse replayed = await console.RedeemAsync(code);

        Assert.Equal("invalid_grant", replayed.Error);
        fixture.AssertLogged(6302, "refused with invalid_grant");
    }

    [Fact]
    public async Task AuthorizationCode_WrongPkceVerifier_RefusedAndLogged()
    {
        TestUser user = await fixture.CreateUserAsync();
        var console = new CodeFlowClient(fixture.Anonymous, fixture.Oidc);
        string code = await console.SignInAsync(user.Name, IdentityFixture.Password);

        TokenResponse refused = await console.RedeemAsync(code, new CodeFlowClient(fixture.Anonymous, fixture.Oidc).Verifier);

        Assert.Equal("invalid_grant", refused.Error);
        Assert.Contains("code_verifier", refused.ErrorDescription, StringComparison.Ordinal);
        fixture.AssertLogged(6302, "code_verifier");
    }

    [Fact]
    public async Task RefreshToken_AfterRevocation_RefusedAndLogged()
    {
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, DeviceScope);
        using HttpResponseMessage revoked = await fixture.Anonymous.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = tokens.RefreshToken!,
            ["token_type_hint"] = "refresh_token",
            ["client_id"] = OidcClient.DeviceClient,
        }));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        TokenResponse refused = await fixture.Oidc.RefreshAsync(tokens.RefreshToken!);

        Assert.Equal("invalid_grant", refused.Error);
        fixture.AssertLogged(6302, "grant refresh_token) refused with invalid_grant");
    }

    [Fact]
    public async Task RefreshToken_AfterAdministratorRevokesSessions_Refused()
    {
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, DeviceScope);

        ApiResponse revoked = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/users/{user.Id}/revoke-sessions");
        TokenResponse refused = await fixture.Oidc.RefreshAsync(tokens.RefreshToken!);

        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.True(revoked.Json.GetProperty("revokedTokens").GetInt64() >= 1, revoked.Body);
        Assert.Equal("invalid_grant", refused.Error);
        fixture.AssertLogged(6112, $"Sessions of {user.Name} revoked");
    }

    [Fact]
    public async Task Verification_RepeatedWrongPasswords_ThrottledEvenWithTheRightOneAndLogged()
    {
        TestUser user = await fixture.CreateUserAsync();
        (_, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(DeviceScope);
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage wrong = await fixture.Oidc.ApproveAsync(userCode, user.Name, "not the password");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Contains(WebEncoded(UserSignIn.WrongCredentials), await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using HttpResponseMessage throttled = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password);

        Assert.Equal(HttpStatusCode.BadRequest, throttled.StatusCode);
        Assert.Contains("Too many failed sign-ins", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        fixture.AssertLogged(6101, $"Sign-in of {user.Name} from");
        fixture.AssertLogged(6102, $"Sign-in of {user.Name} from");
    }

    [Fact]
    public async Task Verification_DisabledUser_CannotSignIn()
    {
        TestUser user = await fixture.CreateUserAsync(enabled: false);
        (_, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(DeviceScope);

        using HttpResponseMessage refused = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("This account is disabled", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        fixture.AssertLogged(6101, $"Sign-in of {user.Name} from 127.0.0.1 refused: the user is disabled");
    }

    [Fact]
    public async Task Verification_TotpUser_NeedsCodeAndRefusesItsReuse()
    {
        TestUser user = await fixture.CreateUserAsync();
        ApiResponse totp = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/users/{user.Id}/totp");
        Assert.Equal(HttpStatusCode.Created, totp.Status);
        string secret = totp.Json.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/OpenTunnel:", totp.Json.GetProperty("provisioningUri").GetString(), StringComparison.Ordinal);

        (_, string first) = await fixture.Oidc.RequestDeviceCodeAsync(DeviceScope);
        using HttpResponseMessage withoutCode = await fixture.Oidc.ApproveAsync(first, user.Name, IdentityFixture.Password);
        string code = TotpCode.Compute(secret, DateTimeOffset.UtcNow);
        using HttpResponseMessage withCode = await fixture.Oidc.ApproveAsync(first, user.Name, IdentityFixture.Password, code);
        (_, string second) = await fixture.Oidc.RequestDeviceCodeAsync(DeviceScope);
        using HttpResponseMessage reused = await fixture.Oidc.ApproveAsync(second, user.Name, IdentityFixture.Password, code);

        Assert.Equal(HttpStatusCode.BadRequest, withoutCode.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, withCode.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        fixture.AssertLogged(6101, "wrong or already used one-time code");
    }

    [Fact]
    public async Task UserInfo_WithAccessToken_AnswersCurrentNameAndGroups()
    {
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, "openid profile opentunnel.device");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);

        using HttpResponseMessage response = await fixture.Anonymous.SendAsync(request);

        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"\"preferred_username\":\"{user.Name}\"", body, StringComparison.Ordinal);
        Assert.Contains($"\"groups\":[\"{fixture.AllowedGroupName}\"]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetPassword_TooShort_RefusedNamingTheField()
    {
        TestUser user = await fixture.CreateUserAsync();

        ApiResponse refused = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}/password", new { password = "short" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("at least 10 characters", refused.ErrorsFor("password")[0], StringComparison.Ordinal);
    }

    private static string WebEncoded(string text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text);
}
