using System.Net;
using OpenTunnel.Identity.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Endpoints;

/// <summary>
/// The device-flow verification page against phishing and forgery: after the sign-in it shows what
/// asks to be signed in (client, scopes, device name, requesting address) and signs the device in
/// only on an explicit Allow; every post needs the page's anti-forgery token.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeviceConsentTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private const string Scope = "openid offline_access opentunnel.device";

    [Fact]
    public async Task SignIn_ShowsClientScopesDeviceNameAndAddress_BeforeAnyApproval()
    {
        TestUser user = await fixture.CreateUserAsync();
        (string deviceCode, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(Scope, deviceName: "kiosk <b>7</b>");
        using HttpClient browser = Browser();
        string token = await OpenAsync(browser, userCode);

        using HttpResponseMessage consent = await browser.PostAsync("/connect/verify", Form(userCode, token, ("username", user.Name), ("password", IdentityFixture.Password)));
        string page = await consent.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        Assert.Contains("opentunnel-client", page, StringComparison.Ordinal);
        Assert.Contains("openid, offline_access, opentunnel.device", page, StringComparison.Ordinal);
        Assert.Contains("kiosk &lt;b&gt;7&lt;/b&gt;", page, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", page, StringComparison.Ordinal);
        Assert.Contains("value=\"allow\">Allow</button>", page, StringComparison.Ordinal);
        Assert.Equal("authorization_pending", (await fixture.Oidc.PollAsync(deviceCode)).Error);
    }

    [Fact]
    public async Task Deny_DeviceIsNotSignedIn()
    {
        TestUser user = await fixture.CreateUserAsync();
        (string deviceCode, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);

        using HttpResponseMessage denied = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password, consent: "deny");

        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        Assert.Contains("You denied the sign-in", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("authorization_pending", (await fixture.Oidc.PollAsync(deviceCode)).Error);
    }

    [Fact]
    public async Task Post_WithoutTheAntiforgeryToken_RefusedAndNotSignedIn()
    {
        TestUser user = await fixture.CreateUserAsync();
        (string deviceCode, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);
        using HttpClient forger = Browser();

        using HttpResponseMessage forged = await forger.PostAsync("/connect/verify", Form(userCode, null, ("username", user.Name), ("password", IdentityFixture.Password)));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("did not come from this page", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("authorization_pending", (await fixture.Oidc.PollAsync(deviceCode)).Error);
    }

    [Fact]
    public async Task Allow_WithATicketOfAnotherUserCode_Refused()
    {
        TestUser user = await fixture.CreateUserAsync();
        (_, string mine) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);
        (string victimDevice, string victims) = await fixture.Oidc.RequestDeviceCodeAsync(Scope);
        using HttpClient browser = Browser();
        string token = await OpenAsync(browser, mine);
        using HttpResponseMessage consent = await browser.PostAsync("/connect/verify", Form(mine, token, ("username", user.Name), ("password", IdentityFixture.Password)));
        string page = await consent.Content.ReadAsStringAsync();
        string ticket = OidcClient.HiddenField(page, "consent_ticket")!;

        using HttpResponseMessage swapped = await browser.PostAsync("/connect/verify",
            Form(victims, OidcClient.HiddenField(page, OidcClient.AntiforgeryField), ("consent_ticket", ticket), ("consent", "allow")));

        Assert.Equal(HttpStatusCode.BadRequest, swapped.StatusCode);
        Assert.Contains("The approval has expired; sign in again.", await swapped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("authorization_pending", (await fixture.Oidc.PollAsync(victimDevice)).Error);
    }

    private HttpClient Browser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = fixture.App.Address };

    private static async Task<string> OpenAsync(HttpClient browser, string userCode) =>
        OidcClient.HiddenField(await browser.GetStringAsync(new Uri($"/connect/verify?user_code={userCode}", UriKind.Relative)), OidcClient.AntiforgeryField)!;

    private static FormUrlEncodedContent Form(string userCode, string? antiforgery, params (string Name, string Value)[] fields)
    {
        var form = new Dictionary<string, string> { ["user_code"] = userCode };
        if (antiforgery is not null)
        {
            form[OidcClient.AntiforgeryField] = antiforgery;
        }

        foreach ((string name, string value) in fields)
        {
            form[name] = value;
        }

        return new FormUrlEncodedContent(form);
    }
}
