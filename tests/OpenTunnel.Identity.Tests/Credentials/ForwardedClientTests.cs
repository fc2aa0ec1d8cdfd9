using System.Net;
using OpenTunnel.Identity.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Credentials;

/// <summary>
/// The address the sign-in throttle counts behind a proxy: X-Forwarded-For only from a trusted
/// proxy (Management:TrustedProxies), never from anyone by default.
/// </summary>
public static class ForwardedClient
{
    public const string Attacker = "198.18.5.1";
    public const string Colleague = "198.18.5.2";

    /// <summary>20 wrong sign-ins (the per-address limit), each for another unknown name, sent with X-Forwarded-For: <paramref name="forwardedFor"/>.</summary>
    public static async Task FailTwentyTimesAsync(IdentityFixture fixture, string forwardedFor)
    {
        OidcClient oidc = Through(fixture, forwardedFor, out HttpClient http);
        using (http)
        {
            (_, string userCode) = await oidc.RequestDeviceCodeAsync("openid opentunnel.device");
            for (int i = 0; i < 20; i++)
            {
                using HttpResponseMessage wrong = await oidc.ApproveAsync(userCode, $"nobody-{Guid.NewGuid():N}", "not a password");
                Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            }
        }
    }

    /// <summary>A correct sign-in of a new user sent with X-Forwarded-For: <paramref name="forwardedFor"/>; the page's answer.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> SignInAsync(IdentityFixture fixture, string forwardedFor)
    {
        TestUser user = await fixture.CreateUserAsync();
        OidcClient oidc = Through(fixture, forwardedFor, out HttpClient http);
        using (http)
        {
            (_, string userCode) = await oidc.RequestDeviceCodeAsync("openid opentunnel.device");
            using HttpResponseMessage answer = await oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password);
            return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }
    }

    private static OidcClient Through(IdentityFixture fixture, string forwardedFor, out HttpClient http)
    {
        http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.App.Address };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return new OidcClient(http, fixture.Issuer);
    }
}

[Trait("Category", "Integration")]
public sealed class ForwardedClientWithoutTrustedProxyTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task XForwardedFor_FromAnUntrustedPeer_IsIgnored()
    {
        await ForwardedClient.FailTwentyTimesAsync(fixture, ForwardedClient.Attacker);

        (HttpStatusCode status, string body) = await ForwardedClient.SignInAsync(fixture, ForwardedClient.Colleague);

        // The header changed nothing: all 20 failures counted against the connection's own address.
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Too many failed sign-ins", body, StringComparison.Ordinal);
        fixture.AssertLogged(6101, "from 127.0.0.1 refused: no such user");
        Assert.DoesNotContain(fixture.Logs.GetSnapshot(), r => r.Message.Contains(ForwardedClient.Attacker, StringComparison.Ordinal));
    }
}

[Trait("Category", "Integration")]
public sealed class ForwardedClientBehindTrustedProxyTests(TrustedProxyIdentityFixture fixture) : IClassFixture<TrustedProxyIdentityFixture>
{
    [Fact]
    public async Task TwentyFailuresOfOneForwardedClient_DoNotLockAnother()
    {
        await ForwardedClient.FailTwentyTimesAsync(fixture, ForwardedClient.Attacker);

        (HttpStatusCode colleague, string colleagueBody) = await ForwardedClient.SignInAsync(fixture, ForwardedClient.Colleague);
        (HttpStatusCode attacker, string attackerBody) = await ForwardedClient.SignInAsync(fixture, ForwardedClient.Attacker);

        Assert.True(colleague == HttpStatusCode.Redirect, colleagueBody);
        Assert.Equal(HttpStatusCode.BadRequest, attacker);
        Assert.Contains("Too many failed sign-ins", attackerBody, StringComparison.Ordinal);
        fixture.AssertLogged(6101, $"from {ForwardedClient.Attacker} refused: no such user");
        fixture.AssertLogged(6100, $"signed in from {ForwardedClient.Colleague}");
    }
}
