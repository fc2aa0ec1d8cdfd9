using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Api.Resources;

/// <summary>Enrolment tokens, enrolment, and /api/v1/servers, on each database.</summary>
public abstract class ServerApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private readonly HttpClient _admin = fixture.Admin;
    private readonly HttpClient _anonymous = fixture.Anonymous;

    [Fact]
    public async Task EnrolmentToken_IsShownOnceAndStoredOnlyAsHash()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);

        ApiResponse created = await _admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 2 });
        ApiResponse listed = await _admin.ReadAsync($"/api/v1/sites/{site.Id}/enrolment-tokens");

        string token = created.Json.GetProperty("token").GetString()!;
        Assert.StartsWith("ote_", token, StringComparison.Ordinal);
        Assert.Equal(1, listed.Json.GetArrayLength());
        Assert.DoesNotContain(token, listed.Body, StringComparison.Ordinal);
        Assert.False(listed.Json[0].TryGetProperty("tokenHash", out _));
    }

    [Fact]
    public async Task Enrol_WithToken_CreatesEnrollingServerInTheSite()
    {
        (ApiResponse site, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, _anonymous);

        ApiResponse read = await _admin.ReadAsync($"/api/v1/servers/{server.Id}");

        Assert.Equal(site.Id, read.Json.GetProperty("siteId").GetString());
        Assert.Equal("enrolling", read.Json.GetProperty("state").GetString());
        Assert.Equal("1.0.0", read.Json.GetProperty("softwareVersion").GetString());
        Assert.Equal("unknown", read.Json.GetProperty("health").GetString());
    }

    [Fact]
    public async Task Enrol_TokenUsedTwice_Returns401()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse token = await _admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { });
        string secret = token.Json.GetProperty("token").GetString()!;
        await _anonymous.CreateAsync("/api/v1/enrolment", new { token = secret, serverName = "gw-a", certificateRequest = Objects.CertificateRequest() });

        ApiResponse again = await _anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", new { token = secret, serverName = "gw-b", certificateRequest = Objects.CertificateRequest() });

        Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
        Assert.Contains("already used", again.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrol_UnknownOrRevokedToken_Returns401()
    {
        ApiResponse site = await Objects.SiteAsync(_admin);
        ApiResponse token = await _admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { });
        string tokenId = token.Json.GetProperty("enrolmentToken").GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/enrolment-tokens/{tokenId}")).Status);

        ApiResponse revoked = await _anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", new { token = token.Json.GetProperty("token").GetString(), serverName = "gw", certificateRequest = Objects.CertificateRequest() });
        ApiResponse unknown = await _anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", new { token = "ote_made-up", serverName = "gw", certificateRequest = Objects.CertificateRequest() });

        Assert.Equal(HttpStatusCode.Unauthorized, revoked.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(721)]
    public async Task EnrolmentToken_ValidityOutOfRange_Returns400(int hours)
    {
        ApiResponse site = await Objects.SiteAsync(_admin);

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, $"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = hours });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.NotEmpty(refused.ErrorsFor("validForHours"));
    }

    [Fact]
    public async Task Update_Drain_SetsDrainingWithIfMatch_AndUndrainSetsOffline()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, _anonymous);
        string name = server.Json.GetProperty("name").GetString()!;

        ApiResponse drained = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/servers/{server.Id}", new { name, drain = true }, server.ETag);
        ApiResponse undrained = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/servers/{server.Id}", new { name, drain = false }, drained.ETag);
        ApiResponse missingIfMatch = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/servers/{server.Id}", new { name, drain = true });

        Assert.Equal("draining", drained.Json.GetProperty("state").GetString());
        Assert.Equal("offline", undrained.Json.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.PreconditionRequired, missingIfMatch.Status);
    }

    [Fact]
    public async Task Create_ByPost_IsNotAnEndpoint()
    {
        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, "/api/v1/servers", new { name = "gw" });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.Status);
    }

    [Fact]
    public async Task Delete_Server_Unenrols()
    {
        (ApiResponse site, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, _anonymous);

        ApiResponse deleted = await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/servers/{server.Id}", ifMatch: server.ETag);
        ApiResponse list = await _admin.ReadAsync($"/api/v1/servers?siteId={site.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(0, list.Json.GetProperty("totalCount").GetInt32());
    }
}

[Trait("Category", "Integration")]
public sealed class ServerApiTestsOnSqlite(SqliteApp fixture) : ServerApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class ServerApiTestsOnPostgres(PostgresApp fixture) : ServerApiTests<PostgresApp>(fixture);
