using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Api.Resources;

/// <summary>/api/v1/sites through real HTTP, on each database.</summary>
public abstract class SiteApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private const string Url = "/api/v1/sites";
    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task Create_FullSite_RoundTripsEveryField()
    {
        ApiResponse configuration = await Objects.ConfigurationAsync(_admin);
        var site = new
        {
            name = ManagementAppFixture.Unique("site"),
            description = "Berlin office",
            publicAddress = "vpn.berlin.example.com",
            serverConfigurationId = configuration.Id,
            internalProbeUrl = "http://198.18.2.10/health",
            automaticUpgrade = true,
            maintenanceWindow = new { timeZone = "Europe/Berlin", start = "22:00:00", end = "02:00:00" },
        };

        ApiResponse created = await _admin.CreateAsync(Url, site);
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");

        Assert.Equal("vpn.berlin.example.com", read.Json.GetProperty("publicAddress").GetString());
        Assert.Equal(configuration.Id, read.Json.GetProperty("serverConfigurationId").GetString());
        Assert.True(read.Json.GetProperty("automaticUpgrade").GetBoolean());
        Assert.Equal("Europe/Berlin", read.Json.GetProperty("maintenanceWindow").GetProperty("timeZone").GetString());
        Assert.Equal("22:00:00", read.Json.GetProperty("maintenanceWindow").GetProperty("start").GetString());
    }

    [Theory]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"vpn.example.com\"}", "serverConfigurationId")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"vpn.example.com\",\"serverConfigurationId\":\"00000000-0000-0000-0000-000000000001\"}", "serverConfigurationId")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"vpn\",\"serverConfigurationId\":\"CFG\"}", "publicAddress")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"vpn_1.example.com\",\"serverConfigurationId\":\"CFG\"}", "publicAddress")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"198.18.1.1\",\"serverConfigurationId\":\"CFG\",\"internalProbeUrl\":\"ftp://x.example\"}", "internalProbeUrl")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"198.18.1.1\",\"serverConfigurationId\":\"CFG\",\"maintenanceWindow\":{\"timeZone\":\"Europe/Berlin\",\"start\":\"01:00:00\",\"end\":\"01:59:00\"}}", "maintenanceWindow")]
    [InlineData("{\"name\":\"s\",\"publicAddress\":\"198.18.1.1\",\"serverConfigurationId\":\"CFG\",\"maintenanceWindow\":{\"timeZone\":\"Mars/Olympus\",\"start\":\"01:00:00\",\"end\":\"03:00:00\"}}", "maintenanceWindow.timeZone")]
    public async Task Create_InvalidField_Returns400NamingTheField(string body, string field)
    {
        ApiResponse configuration = await Objects.ConfigurationAsync(_admin);

        await _admin.AssertInvalidAsync(Url, body.Replace("CFG", configuration.Id, StringComparison.Ordinal), field);
    }

    [Fact]
    public async Task Update_MovesToAnotherConfigurationWithIfMatch_AndStaleWriteIsRefused()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse other = await Objects.ConfigurationAsync(_admin);
        string name = site.Json.GetProperty("name").GetString()!;

        ApiResponse moved = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{site.Id}", new { name, publicAddress = "198.18.1.1", serverConfigurationId = other.Id }, site.ETag);
        ApiResponse stale = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{site.Id}", new { name, publicAddress = "198.18.1.2", serverConfigurationId = other.Id }, site.ETag);

        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal(other.Id, moved.Json.GetProperty("serverConfigurationId").GetString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal("198.18.1.1", (await _admin.ReadAsync($"{Url}/{site.Id}")).Json.GetProperty("publicAddress").GetString());
    }

    [Fact]
    public async Task Delete_WhileAServerIsEnrolled_Returns409()
    {
        (ApiResponse site, _) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"{Url}/{site.Id}", ifMatch: site.ETag);

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains("1 server(s)", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_FiltersByConfiguration()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        string configuration = site.Json.GetProperty("serverConfigurationId").GetString()!;

        ApiResponse list = await _admin.ReadAsync($"{Url}?serverConfigurationId={configuration}");

        Assert.Equal(1, list.Json.GetProperty("totalCount").GetInt32());
        Assert.Equal(site.Id, list.Json.GetProperty("items")[0].GetProperty("id").GetString());
    }
}

[Trait("Category", "Integration")]
public sealed class SiteApiTestsOnSqlite(SqliteApp fixture) : SiteApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class SiteApiTestsOnPostgres(PostgresApp fixture) : SiteApiTests<PostgresApp>(fixture);
