using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Api.Resources;

/// <summary>/api/v1/profiles through real HTTP, on each database.</summary>
public abstract class VpnProfileApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private const string Url = "/api/v1/profiles";
    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task Create_PerAppAlwaysOnWithRulesAndProxy_RoundTrips()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse group = await Objects.GroupAsync(_admin);

        ApiResponse created = await _admin.CreateAsync(Url, new
        {
            name = "Contoso VPN",
            siteId = site.Id,
            platform = "ios",
            perAppIdentifiers = new[] { "com.example.mail" },
            alwaysOn = true,
            lockdown = true,
            onDemandRules = new object[]
            {
                new { match = "domains", values = new[] { "corp.example" }, action = "connect" },
                new { match = "ipRanges", values = new[] { "198.18.2.0/24" }, action = "evaluate" },
            },
            proxy = new { host = "proxy.corp.example", port = 8080, exclusions = new[] { "*.corp.example" } },
            assignedGroupIds = new[] { group.Id },
            trustedNetwork = new { dnsSuffixes = new[] { "office.corp.example" }, probeUrl = "http://probe.corp.example/", probeStatus = 204 },
            onDemandIdleSeconds = 300,
        });
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");
        ApiResponse byGroup = await _admin.ReadAsync($"{Url}?groupId={group.Id}");

        Assert.Equal("ios", read.Json.GetProperty("platform").GetString());
        Assert.Equal("evaluate", read.Json.GetProperty("onDemandRules")[1].GetProperty("action").GetString());
        Assert.Equal(8080, read.Json.GetProperty("proxy").GetProperty("port").GetInt32());
        Assert.True(read.Json.GetProperty("lockdown").GetBoolean());
        Assert.Equal("office.corp.example", read.Json.GetProperty("trustedNetwork").GetProperty("dnsSuffixes")[0].GetString());
        Assert.Equal(204, read.Json.GetProperty("trustedNetwork").GetProperty("probeStatus").GetInt32());
        Assert.Equal(300, read.Json.GetProperty("onDemandIdleSeconds").GetInt32());
        Assert.Equal(created.Id, byGroup.Json.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"name\":\"p\",\"platform\":\"ios\"}", "siteId")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"windows\",\"onDemandRules\":[{\"match\":\"fqdns\",\"values\":[\"corp\"],\"action\":\"connect\"}]}", "onDemandRules[0].values[0]")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"windows\",\"onDemandRules\":[{\"match\":\"ipRanges\",\"values\":[],\"action\":\"connect\"}]}", "onDemandRules[0].values")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"windows\",\"proxy\":{\"pacUrl\":\"http://x.example/p.pac\",\"host\":\"p.example\",\"port\":1}}", "proxy")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"windows\",\"proxy\":{\"host\":\"p.example\"}}", "proxy.port")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"windows\",\"assignedGroupIds\":[\"00000000-0000-0000-0000-000000000009\"]}", "assignedGroupIds[0]")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"amiga\"}", "platform")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"linux\",\"lockdown\":true}", "lockdown")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"android\",\"perAppIdentifiers\":[\"com.example app\"]}", "perAppIdentifiers[0]")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"linux\",\"onDemandRules\":[{\"match\":\"domains\",\"values\":[\"corp.example\"],\"action\":\"connect\"}],\"trustedNetwork\":{\"dnsSuffixes\":[\"corp example\"]}}", "trustedNetwork.dnsSuffixes[0]")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"linux\",\"onDemandRules\":[{\"match\":\"domains\",\"values\":[\"corp.example\"],\"action\":\"connect\"}],\"trustedNetwork\":{\"dnsSuffixes\":[],\"probeUrl\":\"http://p.example/\"}}", "trustedNetwork.probeStatus")]
    [InlineData("{\"name\":\"p\",\"siteId\":\"SITE\",\"platform\":\"linux\",\"onDemandRules\":[{\"match\":\"domains\",\"values\":[\"corp.example\"],\"action\":\"connect\"}],\"onDemandIdleSeconds\":5}", "onDemandIdleSeconds")]
    public async Task Create_InvalidField_Returns400NamingTheField(string body, string field)
    {
        ApiResponse site = await Objects.SiteAsync(_admin);

        await _admin.AssertInvalidAsync(Url, body.Replace("SITE", site.Id, StringComparison.Ordinal), field);
    }

    [Fact]
    public async Task GroupDelete_WhileAProfileIsAssignedToIt_Returns409()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse group = await Objects.GroupAsync(_admin);
        ApiResponse profile = await _admin.CreateAsync(Url, new { name = "VPN", siteId = site.Id, platform = "linux", assignedGroupIds = new[] { group.Id } });

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{group.Id}", ifMatch: group.ETag);
        ApiResponse unassigned = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{profile.Id}", new { name = "VPN", siteId = site.Id, platform = "linux" }, profile.ETag);
        ApiResponse deleted = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/groups/{group.Id}", ifMatch: group.ETag);

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(HttpStatusCode.OK, unassigned.Status);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
    }

    [Fact]
    public async Task Update_StaleIfMatch_Returns412()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse profile = await _admin.CreateAsync(Url, new { name = "VPN", siteId = site.Id, platform = "macOS" });
        await _admin.SendAsync(HttpMethod.Put, $"{Url}/{profile.Id}", new { name = "VPN 2", siteId = site.Id, platform = "macOS" }, profile.ETag);

        ApiResponse stale = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{profile.Id}", new { name = "VPN 3", siteId = site.Id, platform = "macOS" }, profile.ETag);

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
    }
}

[Trait("Category", "Integration")]
public sealed class VpnProfileApiTestsOnSqlite(SqliteApp fixture) : VpnProfileApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class VpnProfileApiTestsOnPostgres(PostgresApp fixture) : VpnProfileApiTests<PostgresApp>(fixture);
