using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Data;

/// <summary>What the database gives: objects outlive the process, and replicas share one PostgreSQL.</summary>
[Trait("Category", "Integration")]
public sealed class PersistenceTests
{
    [Fact]
    public async Task Restart_OnSqlite_KeepsEveryObjectAndTheFirstKey()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        var urls = new List<(string Url, string ETag)>();
        string firstKey;
        await using (ManagementApp first = ManagementApp.Start(database, issuer: null))
        {
            firstKey = first.AdminKey;
            using HttpClient admin = first.Client(firstKey);
            ApiResponse group = await Objects.GroupAsync(admin);
            ApiResponse user = await Objects.UserAsync(admin, group.Id);
            (ApiResponse site, ApiResponse server) = await Objects.EnrolledServerAsync(admin, first.Client());
            ApiResponse profile = await admin.CreateAsync("/api/v1/profiles", new { name = "VPN", siteId = site.Id, platform = "windows", assignedGroupIds = new[] { group.Id } });
            ApiResponse device = await admin.CreateAsync("/api/v1/devices", new { name = "pc", ownerId = user.Id, platform = "windows", osVersion = "10.0.19045" });
            ApiResponse compliance = await admin.CreateAsync("/api/v1/compliance-policies", new { name = "bitlocker", platform = "windows", requireDiskEncryption = true });
            ApiResponse access = await admin.CreateAsync("/api/v1/conditional-access-policies", new { name = "staff", groupIds = new[] { group.Id }, siteIds = new[] { site.Id } });
            string configuration = site.Json.GetProperty("serverConfigurationId").GetString()!;
            foreach ((string url, ApiResponse created) in new[]
            {
                ("groups", group), ("users", user), ("sites", site), ("servers", server), ("profiles", profile),
                ("compliance-policies", compliance), ("conditional-access-policies", access),
            })
            {
                urls.Add(($"/api/v1/{url}/{created.Id}", (await admin.ReadAsync($"/api/v1/{url}/{created.Id}")).ETag!));
            }

            urls.Add(($"/api/v1/devices/{device.Id}", (await admin.ReadAsync($"/api/v1/devices/{device.Id}")).ETag!));
            urls.Add(($"/api/v1/configurations/{configuration}", (await admin.ReadAsync($"/api/v1/configurations/{configuration}")).ETag!));
        }

        await using ManagementApp second = ManagementApp.Start(database, issuer: null);
        using HttpClient again = second.Client(firstKey);

        Assert.Equal(firstKey, second.AdminKey);
        foreach ((string url, string etag) in urls)
        {
            ApiResponse read = await again.ReadAsync(url);
            Assert.True(read.Status == HttpStatusCode.OK, $"{url} answered {(int)read.Status} after the restart");
            Assert.Equal(etag, read.ETag);
        }

        Assert.Equal(1, (await again.ReadAsync("/api/v1/api-keys")).Json.GetProperty("totalCount").GetInt32());
        Assert.True((await again.ReadAsync("/api/v1/audit")).Json.GetProperty("totalCount").GetInt32() >= 10);
    }

    [Fact]
    public async Task TwoInstances_OnOnePostgres_SeeEachOthersWritesAndRefuseLostUpdates()
    {
        await using TestDatabase database = await TestDatabase.CreatePostgresAsync();
        await using ManagementApp one = ManagementApp.Start(database, issuer: null);
        await using ManagementApp two = ManagementApp.Start(database, issuer: null);
        using HttpClient first = one.Client(one.AdminKey);
        using HttpClient second = two.Client(two.AdminKey);

        ApiResponse created = await first.CreateAsync("/api/v1/configurations", new { name = "shared", port = 443 });
        ApiResponse seen = await second.ReadAsync($"/api/v1/configurations/{created.Id}");
        ApiResponse changed = await second.SendAsync(HttpMethod.Put, $"/api/v1/configurations/{created.Id}", new { name = "shared", port = 8443 }, seen.ETag);
        ApiResponse stale = await first.SendAsync(HttpMethod.Put, $"/api/v1/configurations/{created.Id}", new { name = "shared", port = 9443 }, created.ETag);

        Assert.Equal(HttpStatusCode.OK, seen.Status);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal(8443, (await first.ReadAsync($"/api/v1/configurations/{created.Id}")).Json.GetProperty("port").GetInt32());
        Assert.Equal(1, (await second.ReadAsync("/api/v1/api-keys")).Json.GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task SimultaneousWrites_FromTwoInstancesWithTheSameETag_OneWinsOneGets412()
    {
        await using TestDatabase database = await TestDatabase.CreatePostgresAsync();
        await using ManagementApp one = ManagementApp.Start(database, issuer: null);
        await using ManagementApp two = ManagementApp.Start(database, issuer: null);
        using HttpClient first = one.Client(one.AdminKey);
        using HttpClient second = two.Client(two.AdminKey);
        ApiResponse created = await first.CreateAsync("/api/v1/groups", new { name = "race" });

        ApiResponse[] results = await Task.WhenAll(
            first.SendAsync(HttpMethod.Put, $"/api/v1/groups/{created.Id}", new { name = "race", displayName = "one" }, created.ETag),
            second.SendAsync(HttpMethod.Put, $"/api/v1/groups/{created.Id}", new { name = "race", displayName = "two" }, created.ETag));

        Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        Assert.Single(results, r => r.Status == HttpStatusCode.PreconditionFailed);
        Assert.Equal("\"2\"", (await first.ReadAsync($"/api/v1/groups/{created.Id}")).ETag);
    }
}
