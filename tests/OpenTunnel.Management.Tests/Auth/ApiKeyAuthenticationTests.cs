using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Auth;

/// <summary>API keys: shown once, stored hashed, both headers, revocation and expiry, on each database.</summary>
public abstract class ApiKeyAuthenticationTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    [Fact]
    public async Task CreatedKey_IsShownOnce_AndWorksInAuthorizationHeader()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/api-keys", new { name = ManagementAppFixture.Unique("ci"), role = "full-admin" });
        string key = created.Json.GetProperty("key").GetString()!;
        using HttpClient client = fixture.App.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);

        ApiResponse read = await client.ReadAsync($"/api/v1/api-keys/{created.Json.GetProperty("apiKey").GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.DoesNotContain(key, read.Body, StringComparison.Ordinal);
        Assert.False(read.Json.TryGetProperty("keyHash", out _));
        Assert.Equal("full-admin", read.Json.GetProperty("role").GetString());
    }

    [Fact]
    public async Task DeletedKey_Is401()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/api-keys", new { name = ManagementAppFixture.Unique("tmp"), role = "read-only" });
        using HttpClient client = fixture.App.Client(created.Json.GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.ReadAsync("/api/v1/sites")).Status);

        await fixture.Admin.SendAsync(HttpMethod.Delete, $"/api/v1/api-keys/{created.Json.GetProperty("apiKey").GetProperty("id").GetString()}", ifMatch: created.ETag);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/sites")).Status);
    }

    [Fact]
    public async Task ExpiredKey_Is401()
    {
        ApiResponse created = await fixture.Admin.CreateAsync("/api/v1/api-keys", new { name = ManagementAppFixture.Unique("old"), role = "read-only", expiresAt = DateTime.UtcNow.AddMinutes(-1) });
        using HttpClient client = fixture.App.Client(created.Json.GetProperty("key").GetString());

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/sites")).Status);
    }

    [Fact]
    public async Task UnknownRole_Returns400()
    {
        ApiResponse refused = await fixture.Admin.SendAsync(HttpMethod.Post, "/api/v1/api-keys", new { name = "x", role = "root" });

        Assert.NotEmpty(refused.ErrorsFor("role"));
    }

    [Fact]
    public async Task LastFullAdminKey_CannotBeDeletedOrDemoted()
    {
        // A service of its own: other tests here add full-admin keys.
        await using TestDatabase database = await TestDatabase.CreateAsync(fixture.Kind);
        await using ManagementApp app = ManagementApp.Start(database, issuer: null);
        using HttpClient admin = app.Client(app.AdminKey);
        ApiResponse keys = await admin.ReadAsync("/api/v1/api-keys?role=full-admin");
        JsonElement only = Assert.Single(keys.Json.GetProperty("items").EnumerateArray());
        string id = only.GetProperty("id").GetString()!;
        string etag = (await admin.ReadAsync($"/api/v1/api-keys/{id}")).ETag!;

        ApiResponse deleted = await admin.SendAsync(HttpMethod.Delete, $"/api/v1/api-keys/{id}", ifMatch: etag);
        ApiResponse demoted = await admin.SendAsync(HttpMethod.Put, $"/api/v1/api-keys/{id}", new { name = "first-admin", role = "read-only" }, etag);

        Assert.Equal(HttpStatusCode.Conflict, deleted.Status);
        Assert.NotEmpty(demoted.ErrorsFor("role"));
    }

    [Fact]
    public async Task WrongKey_Is401()
    {
        using HttpClient client = fixture.App.Client("otk_not-a-key");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.ReadAsync("/api/v1/sites")).Status);
    }
}

[Trait("Category", "Integration")]
public sealed class ApiKeyAuthenticationTestsOnSqlite(SqliteApp fixture) : ApiKeyAuthenticationTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class ApiKeyAuthenticationTestsOnPostgres(PostgresApp fixture) : ApiKeyAuthenticationTests<PostgresApp>(fixture);
