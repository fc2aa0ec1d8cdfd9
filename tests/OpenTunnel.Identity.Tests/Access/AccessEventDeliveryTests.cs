using System.Net;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Access;

/// <summary>
/// Continuous access evaluation: a device turning non-compliant, a user disabled or removed from a
/// group reaches the gateways' control sockets (terminate) within 10 seconds, and a disabled
/// user's refresh token stops working.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AccessEventDeliveryTests(GatewaySocketIdentityFixture fixture) : IClassFixture<GatewaySocketIdentityFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DeviceReportsFirewallOff_GatewaysTerminateTheDeviceWithinTenSeconds()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        string url = $"/api/v1/device-enrolment/{device.Id}/posture";
        using var client = new HttpClient { BaseAddress = fixture.App.Address };
        client.DefaultRequestHeaders.Add("Device-Assertion", device.Assertion(fixture.Issuer.TrimEnd('/') + url));

        ApiResponse reported = await client.SendAsync(HttpMethod.Put, url, new { name = "laptop", platform = "Linux", osVersion = "12.8", diskEncrypted = true, firewallEnabled = false });

        Assert.Equal(HttpStatusCode.OK, reported.Status);
        Assert.True(await fixture.Gateway.WaitForTerminateAsync(device.Id, Deadline) < Deadline);
        await fixture.AssertLoggedSoonAsync(6400, $"DeviceNonCompliant) delivered: 1 session(s) of {device.Id} ended");
    }

    [Fact]
    public async Task UserDisabled_GatewaysTerminateTheUserAndRefreshIsRefused()
    {
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, "openid offline_access opentunnel.device");
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");

        ApiResponse disabled = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = false, groupIds = new[] { fixture.AllowedGroupId } }, current.ETag);

        Assert.Equal(HttpStatusCode.OK, disabled.Status);
        await fixture.Gateway.WaitForTerminateAsync(user.Name, Deadline);
        Assert.NotNull((await fixture.Oidc.RefreshAsync(tokens.RefreshToken!)).Error);
    }

    [Fact]
    public async Task UserRemovedFromGroup_GatewaysTerminateTheUser()
    {
        TestUser user = await fixture.CreateUserAsync();
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");

        ApiResponse changed = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = true, groupIds = Array.Empty<string>() }, current.ETag);

        Assert.Equal(HttpStatusCode.OK, changed.Status);
        await fixture.Gateway.WaitForTerminateAsync(user.Name, Deadline);
    }
}
