using System.Net;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Devices;

/// <summary>
/// Identity:DeviceApproval administrator: a device that reports a perfect posture is still pending
/// and not compliant, and gets no gateway token, until an administrator approves it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeviceApprovalTests(DeviceApprovalIdentityFixture fixture) : IClassFixture<DeviceApprovalIdentityFixture>
{
    private const string GatewayScope = "openid offline_access opentunnel.gateway";

    [Fact]
    public async Task NewDevice_PendingAndRefusedUntilApproved_ThenCompliantAndAllowed()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user, compliant: true);

        ApiResponse pending = await fixture.Admin.ReadAsync($"/api/v1/devices/{device.Id}");
        TokenResponse refused = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => Parameters(device));
        ApiResponse approved = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/devices/{device.Id}/approve");
        TokenResponse allowed = await fixture.Oidc.TryDeviceFlowAsync(user.Name, IdentityFixture.Password, GatewayScope, () => Parameters(device));
        ApiResponse again = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/devices/{device.Id}/approve");

        Assert.Equal("pending", pending.Json.GetProperty("enrolmentState").GetString(), ignoreCase: true);
        Assert.NotEqual("compliant", pending.Json.GetProperty("complianceState").GetString(), StringComparer.OrdinalIgnoreCase);
        Assert.True(refused.Error == "access_denied", refused.Json.ToString());
        Assert.Equal(HttpStatusCode.OK, approved.Status);
        Assert.Equal("compliant", approved.Json.GetProperty("complianceState").GetString(), ignoreCase: true);
        Assert.True(allowed.AccessToken is not null, allowed.Json.ToString());
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
    }

    [Fact]
    public async Task Approve_ByAReadOnlyKey_Forbidden()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        string key = (await fixture.Admin.CreateAsync("/api/v1/api-keys", new { name = ManagementAppFixture.Unique("ro"), role = "read-only" })).Json.GetProperty("key").GetString()!;
        using HttpClient readOnly = fixture.App.Client(key);

        ApiResponse forbidden = await readOnly.SendAsync(HttpMethod.Post, $"/api/v1/devices/{device.Id}/approve");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
    }

    private Dictionary<string, string> Parameters(TestDevice device) => new()
    {
        ["device_assertion"] = device.Assertion(fixture.Oidc.TokenEndpoint),
        ["site"] = fixture.SiteName,
    };
}
