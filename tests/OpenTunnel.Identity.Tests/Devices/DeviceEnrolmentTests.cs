using System.Net;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Devices;

/// <summary>Enrolment with a device key and posture, re-reports proven by the key, and the refusals of each.</summary>
[Trait("Category", "Integration")]
public sealed class DeviceEnrolmentTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task Enrol_CompliantPosture_DeviceStoredCompliantForTheUser()
    {
        TestUser user = await fixture.CreateUserAsync();

        TestDevice device = await fixture.EnrolDeviceAsync(user);

        ApiResponse stored = await fixture.Admin.ReadAsync($"/api/v1/devices/{device.Id}");
        Assert.Equal("compliant", stored.Json.GetProperty("complianceState").GetString(), ignoreCase: true);
        Assert.Equal(user.Id, stored.Json.GetProperty("ownerId").GetString());
        Assert.Equal("enrolled", stored.Json.GetProperty("enrolmentState").GetString(), ignoreCase: true);
        Assert.True(stored.Json.GetProperty("screenLockEnabled").GetBoolean());
    }

    [Fact]
    public async Task ReportPosture_FirewallOffWithDeviceAssertion_DeviceTurnsNonCompliantWithReason()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        string url = $"/api/v1/device-enrolment/{device.Id}/posture";

        ApiResponse reported = await SendReportAsync(url, device.Assertion(fixture.Issuer.TrimEnd('/') + url), firewallEnabled: false);

        Assert.Equal(HttpStatusCode.OK, reported.Status);
        Assert.Equal("NonCompliant", reported.Json.GetProperty("complianceState").GetString());
        Assert.Contains("a firewall is required and it is off", reported.Json.GetProperty("complianceReasons")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportPosture_AssertionOfAnotherKey_Refused()
    {
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        string url = $"/api/v1/device-enrolment/{device.Id}/posture";

        ApiResponse refused = await SendReportAsync(url, device.Assertion(fixture.Issuer.TrimEnd('/') + url, signer: TestDevice.Generate()), firewallEnabled: true);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Contains("does not verify", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrol_WithoutUserToken_Unauthorized()
    {
        ApiResponse refused = await fixture.Anonymous.SendAsync(HttpMethod.Post, "/api/v1/device-enrolment", new { name = "x", platform = "Linux", osVersion = "12", publicKey = TestDevice.Generate().PublicJwk });

        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
    }

    private async Task<ApiResponse> SendReportAsync(string url, string assertion, bool firewallEnabled)
    {
        using var client = new HttpClient { BaseAddress = fixture.App.Address };
        client.DefaultRequestHeaders.Add("Device-Assertion", assertion);
        return await client.SendAsync(HttpMethod.Put, url, new { name = "laptop", platform = "Linux", osVersion = "12.8", diskEncrypted = true, firewallEnabled });
    }
}
