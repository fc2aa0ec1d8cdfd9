using OpenTunnel.Identity.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Endpoints;

/// <summary>A device code polled after its lifetime (10 minutes by default) is refused with expired_token, and logged.</summary>
[Trait("Category", "Integration")]
public sealed class DeviceCodeExpiryTests(FakeClockIdentityFixture fixture) : IClassFixture<FakeClockIdentityFixture>
{
    [Fact]
    public async Task Poll_AfterDeviceCodeLifetime_ExpiredTokenAndLogged()
    {
        TestUser user = await fixture.CreateUserAsync();
        (string deviceCode, string userCode) = await fixture.Oidc.RequestDeviceCodeAsync("openid opentunnel.device");

        fixture.Clock.Advance(TimeSpan.FromMinutes(11));
        using HttpResponseMessage approval = await fixture.Oidc.ApproveAsync(userCode, user.Name, IdentityFixture.Password);
        TokenResponse refused = await fixture.Oidc.PollAsync(deviceCode);

        string page = await approval.Content.ReadAsStringAsync();
        Assert.True(page.Contains("The code is wrong or has expired", StringComparison.Ordinal), page);
        Assert.Equal("expired_token", refused.Error);
        fixture.AssertLogged(6302, "refused with expired_token");
    }
}
