using System.Net;
using System.Text.Json;
using OpenTunnel.Identity.Tests.Harness;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Identity.Tests.Access;

/// <summary>
/// Continuous access evaluation: a device turning non-compliant, a user disabled or removed from a
/// group puts a revokeSessions command for that device or user on the agent channel of every
/// enrolled server within 10 seconds, and a disabled user's refresh token stops working. (That the
/// agent ends the tunnel at its gateway is shown end to end in OpenTunnel.EndToEnd.Tests.)
/// </summary>
[Trait("Category", "Integration")]
public sealed class AccessEventDeliveryTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task DeviceReportsFirewallOff_EveryServerIsToldToRevokeTheDeviceWithinTenSeconds()
    {
        (_, ApiResponse first) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        (_, ApiResponse second) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        TestUser user = await fixture.CreateUserAsync();
        TestDevice device = await fixture.EnrolDeviceAsync(user);
        string url = $"/api/v1/device-enrolment/{device.Id}/posture";
        using var client = new HttpClient { BaseAddress = fixture.App.Address };
        client.DefaultRequestHeaders.Add("Device-Assertion", device.Assertion(fixture.Issuer.TrimEnd('/') + url));

        ApiResponse reported = await client.SendAsync(HttpMethod.Put, url, new { name = "laptop", platform = "Linux", osVersion = "12.8", diskEncrypted = true, firewallEnabled = false });

        Assert.Equal(HttpStatusCode.OK, reported.Status);
        await WaitForRevokeCommandAsync(first.Id, device.Id);
        await WaitForRevokeCommandAsync(second.Id, device.Id);
        await fixture.AssertLoggedSoonAsync(6400, $"DeviceNonCompliant) delivered:");
    }

    [Fact]
    public async Task UserDisabled_ServersAreToldToRevokeTheUserAndRefreshIsRefused()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        TestUser user = await fixture.CreateUserAsync();
        TokenResponse tokens = await fixture.Oidc.DeviceFlowAsync(user.Name, IdentityFixture.Password, "openid offline_access opentunnel.device");
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");

        ApiResponse disabled = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = false, groupIds = new[] { fixture.AllowedGroupId } }, current.ETag);

        Assert.Equal(HttpStatusCode.OK, disabled.Status);
        await WaitForRevokeCommandAsync(server.Id, user.Id);
        Assert.NotNull((await fixture.Oidc.RefreshAsync(tokens.RefreshToken!)).Error);
    }

    [Fact]
    public async Task UserRemovedFromGroup_ServersAreToldToRevokeTheUser()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        TestUser user = await fixture.CreateUserAsync();
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");

        ApiResponse changed = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = true, groupIds = Array.Empty<string>() }, current.ETag);

        Assert.Equal(HttpStatusCode.OK, changed.Status);
        await WaitForRevokeCommandAsync(server.Id, user.Id);
    }

    [Fact]
    public async Task UserRenamedThenDisabled_ServersAreToldTheUserIdNotAName()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        TestUser user = await fixture.CreateUserAsync();
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");
        ApiResponse renamed = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name + "-renamed", displayName = "x", enabled = false, groupIds = new[] { fixture.AllowedGroupId } }, current.ETag);

        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        await WaitForRevokeCommandAsync(server.Id, user.Id);
        Assert.Empty(await RevokeCommandsAsync(server.Id, user.Name));
        Assert.Empty(await RevokeCommandsAsync(server.Id, user.Name + "-renamed"));
    }

    [Fact]
    public async Task ConditionalAccessPolicyTightened_UsersItNoLongerAllowsAreRevoked_OthersAreNot()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        string configuration = (await fixture.Admin.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg") })).Id;
        string site = (await fixture.Admin.CreateAsync("/api/v1/sites", new { name = ManagementAppFixture.Unique("site"), publicAddress = "198.18.1.1", serverConfigurationId = configuration })).Id;
        string group = (await fixture.Admin.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("group") })).Id;
        string bystanderGroup = (await fixture.Admin.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique("group") })).Id;
        var loose = new { name = ManagementAppFixture.Unique("policy"), groupIds = new[] { group }, siteIds = new[] { site }, requireCompliantDevice = false, allowUnenrolledDevices = true };
        ApiResponse policy = await fixture.Admin.CreateAsync("/api/v1/conditional-access-policies", loose);
        await fixture.Admin.CreateAsync("/api/v1/conditional-access-policies", loose with { name = ManagementAppFixture.Unique("policy"), groupIds = new[] { bystanderGroup } });
        ApiResponse member = await fixture.Admin.CreateAsync("/api/v1/users", new { name = ManagementAppFixture.Unique("user"), displayName = "m", enabled = true, groupIds = new[] { group } });
        ApiResponse bystander = await fixture.Admin.CreateAsync("/api/v1/users", new { name = ManagementAppFixture.Unique("user"), displayName = "b", enabled = true, groupIds = new[] { bystanderGroup } });

        ApiResponse tightened = await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/conditional-access-policies/{policy.Id}",
            loose with { allowUnenrolledDevices = false }, policy.ETag);

        Assert.Equal(HttpStatusCode.OK, tightened.Status);
        await WaitForRevokeCommandAsync(server.Id, member.Id);
        await fixture.AssertLoggedSoonAsync(6400, "ConditionalAccessChanged) delivered:");
        Assert.Empty(await RevokeCommandsAsync(server.Id, bystander.Id));
    }

    [Fact]
    public async Task ServerWithRevokedCertificate_IsNotToldAnything()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(fixture.Admin, fixture.Anonymous);
        ApiResponse revoked = await fixture.Admin.SendAsync(HttpMethod.Post, $"/api/v1/servers/{server.Id}/certificates/revoke", new { reason = "decommissioned" });
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        TestUser user = await fixture.CreateUserAsync();
        ApiResponse current = await fixture.Admin.ReadAsync($"/api/v1/users/{user.Id}");

        await fixture.Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}",
            new { name = user.Name, displayName = "x", enabled = false, groupIds = new[] { fixture.AllowedGroupId } }, current.ETag);

        await fixture.AssertLoggedSoonAsync(6400, $"gateway(s) told to end the sessions of {user.Id}");
        Assert.Empty(await RevokeCommandsAsync(server.Id, user.Id));
    }

    private Task WaitForRevokeCommandAsync(string serverId, string target) => RevokeCommands.WaitForAsync(fixture.Admin, serverId, target);

    private Task<List<JsonElement>> RevokeCommandsAsync(string serverId, string target) => RevokeCommands.ListAsync(fixture.Admin, serverId, target);
}
