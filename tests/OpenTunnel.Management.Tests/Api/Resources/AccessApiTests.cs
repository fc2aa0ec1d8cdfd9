using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Api.Resources;

/// <summary>Users, groups, devices, compliance and conditional-access policies, on each database.</summary>
public abstract class AccessApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task User_WithGroups_IsListedByGroupAndNameIsUnique()
    {
        ApiResponse group = await Objects.GroupAsync(_admin);
        ApiResponse user = await Objects.UserAsync(_admin, group.Id);
        string name = user.Json.GetProperty("name").GetString()!;

        ApiResponse members = await _admin.ReadAsync($"/api/v1/users?groupId={group.Id}");
        ApiResponse duplicate = await _admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name, displayName = "Other" });

        Assert.Equal(user.Id, members.Json.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.True(user.Json.GetProperty("enabled").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
    }

    [Theory]
    [InlineData("{\"name\":\"has space\",\"displayName\":\"x\"}", "name")]
    [InlineData("{\"name\":\"ok\",\"displayName\":\"\"}", "displayName")]
    [InlineData("{\"name\":\"ok2\",\"displayName\":\"x\",\"groupIds\":[\"00000000-0000-0000-0000-000000000003\"]}", "groupIds[0]")]
    public async Task User_InvalidField_Returns400(string body, string field)
    {
        await _admin.AssertInvalidAsync("/api/v1/users", body, field);
    }

    [Fact]
    public async Task Device_IsEvaluatedOnWrite_AndAgainWhenAPolicyChanges()
    {
        ApiResponse user = await Objects.UserAsync(_admin);
        ApiResponse device = await _admin.CreateAsync("/api/v1/devices", new
        {
            name = "laptop", ownerId = user.Id, platform = "linux", osVersion = "6.1", diskEncrypted = true, firewallEnabled = false,
        });
        Assert.NotEqual("nonCompliant", device.Json.GetProperty("complianceState").GetString());

        string policyName = ManagementAppFixture.Unique("fw");
        ApiResponse policy = await _admin.CreateAsync("/api/v1/compliance-policies", new { name = policyName, platform = "linux", requireFirewall = true, minimumOsVersion = "6.0" });
        ApiResponse evaluated = await _admin.ReadAsync($"/api/v1/devices/{device.Id}");

        Assert.Equal("nonCompliant", evaluated.Json.GetProperty("complianceState").GetString());
        Assert.Contains(policyName, evaluated.Json.GetProperty("complianceReasons")[0].GetString(), StringComparison.Ordinal);
        Assert.NotEqual(device.ETag, evaluated.ETag);

        await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/compliance-policies/{policy.Id}", ifMatch: policy.ETag);
        ApiResponse fixedDevice = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/devices/{device.Id}", new
        {
            name = "laptop", ownerId = user.Id, platform = "linux", osVersion = "6.1", diskEncrypted = true, firewallEnabled = true,
        }, evaluated.ETag);
        Assert.Equal("compliant", fixedDevice.Json.GetProperty("complianceState").GetString());
    }

    [Fact]
    public async Task Device_NotEnrolled_IsUnknownAndOwnerCannotBeDeleted()
    {
        ApiResponse user = await Objects.UserAsync(_admin);
        ApiResponse device = await _admin.CreateAsync("/api/v1/devices", new { name = "phone", ownerId = user.Id, platform = "android", osVersion = "14", enrolmentState = "appProtected" });

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/users/{user.Id}", ifMatch: user.ETag);

        Assert.Equal("unknown", device.Json.GetProperty("complianceState").GetString());
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
    }

    [Theory]
    [InlineData("{\"name\":\"d\",\"platform\":\"linux\",\"osVersion\":\"1\"}", "ownerId")]
    [InlineData("{\"name\":\"d\",\"platform\":\"linux\",\"osVersion\":\"\",\"ownerId\":\"OWNER\"}", "osVersion")]
    [InlineData("{\"name\":\"d\",\"platform\":\"linux\",\"osVersion\":\"1\",\"ownerId\":\"00000000-0000-0000-0000-000000000004\"}", "ownerId")]
    public async Task Device_InvalidField_Returns400(string body, string field)
    {
        ApiResponse user = await Objects.UserAsync(_admin);

        await _admin.AssertInvalidAsync("/api/v1/devices", body.Replace("OWNER", user.Id, StringComparison.Ordinal), field);
    }

    [Fact]
    public async Task CompliancePolicy_BadMinimumVersion_Returns400()
    {
        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, "/api/v1/compliance-policies", new { name = "p", minimumOsVersion = "fourteen" });

        Assert.NotEmpty(refused.ErrorsFor("minimumOsVersion"));
    }

    [Fact]
    public async Task ConditionalAccessPolicy_GroupsAndSites_RoundTripAndBlockSiteDelete()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse group = await Objects.GroupAsync(_admin);

        ApiResponse policy = await _admin.CreateAsync("/api/v1/conditional-access-policies", new
        {
            name = ManagementAppFixture.Unique("ca"), groupIds = new[] { group.Id }, siteIds = new[] { site.Id }, allowUnenrolledDevices = true,
        });
        ApiResponse bySite = await _admin.ReadAsync($"/api/v1/conditional-access-policies?siteId={site.Id}");
        ApiResponse siteDelete = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/sites/{site.Id}", ifMatch: site.ETag);

        Assert.True(policy.Json.GetProperty("requireCompliantDevice").GetBoolean());
        Assert.True(policy.Json.GetProperty("allowUnenrolledDevices").GetBoolean());
        Assert.Equal(1, bySite.Json.GetProperty("totalCount").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, siteDelete.Status);
    }

    [Theory]
    [InlineData("{\"name\":\"ca\",\"groupIds\":[],\"siteIds\":[\"SITE\"]}", "groupIds")]
    [InlineData("{\"name\":\"ca\",\"groupIds\":[\"GROUP\"],\"siteIds\":[]}", "siteIds")]
    [InlineData("{\"name\":\"ca\",\"groupIds\":[\"GROUP\"],\"siteIds\":[\"00000000-0000-0000-0000-000000000005\"]}", "siteIds[0]")]
    public async Task ConditionalAccessPolicy_InvalidField_Returns400(string body, string field)
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse group = await Objects.GroupAsync(_admin);

        string concrete = body.Replace("SITE", site.Id, StringComparison.Ordinal).Replace("GROUP", group.Id, StringComparison.Ordinal);

        await _admin.AssertInvalidAsync("/api/v1/conditional-access-policies", concrete, field);
    }

    [Fact]
    public async Task GroupDelete_WithMembers_Returns409()
    {
        ApiResponse group = await Objects.GroupAsync(_admin);
        await Objects.UserAsync(_admin, group.Id);

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{group.Id}", ifMatch: group.ETag);

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains("1 member(s)", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

[Trait("Category", "Integration")]
public sealed class AccessApiTestsOnSqlite(SqliteApp fixture) : AccessApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class AccessApiTestsOnPostgres(PostgresApp fixture) : AccessApiTests<PostgresApp>(fixture);
