using System.Net;
using System.Text.Json;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Auth;

/// <summary>
/// Every operation in the served OpenAPI document refuses an anonymous caller (401), and every
/// write refuses a read-only key (403), so a new endpoint cannot be left open by mistake.
/// </summary>
public abstract class EndpointAuthorizationTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    /// <summary>
    /// The operations without an administrator: enrolment, and the install script's readiness probe
    /// and status calls; a site's enrolment token is their credential, not an API key.
    /// </summary>
    private static readonly HashSet<string> Anonymous = new(StringComparer.Ordinal)
    {
        "POST /api/v1/enrolment",
        "POST /api/v1/enrolment/readiness",
        "POST /api/v1/enrolment/status",
    };

    /// <summary>
    /// Operations of a signed-in user's own device (device enrolment and posture reports): they take
    /// the user's access token, so an administrator's API key is no credential there (401, not 403).
    /// </summary>
    private static readonly HashSet<string> UserDevice = new(StringComparer.Ordinal)
    {
        "POST /api/v1/device-enrolment",
        "PUT /api/v1/device-enrolment/{id}/posture",
    };

    [Fact]
    public async Task EveryOperation_Anonymous_Returns401()
    {
        List<(HttpMethod Method, string Path)> operations = await OperationsAsync();
        var open = new List<string>();
        foreach ((HttpMethod method, string path) in operations)
        {
            if (Anonymous.Contains($"{method} {path}"))
            {
                continue;
            }

            ApiResponse response = await fixture.Anonymous.SendAsync(method, Concrete(path), method == HttpMethod.Get || method == HttpMethod.Delete ? null : "{}");
            if (response.Status != HttpStatusCode.Unauthorized)
            {
                open.Add($"{method} {path} answered {(int)response.Status}");
            }
        }

        Assert.Empty(open);
    }

    [Fact]
    public async Task EveryWrite_ReadOnlyKey_Returns403_AndEveryRead_IsAllowed()
    {
        List<(HttpMethod Method, string Path)> operations = await OperationsAsync();
        var wrong = new List<string>();
        foreach ((HttpMethod method, string path) in operations)
        {
            if (Anonymous.Contains($"{method} {path}") || UserDevice.Contains($"{method} {path}"))
            {
                continue;
            }

            bool read = method == HttpMethod.Get;
            ApiResponse response = await fixture.ReadOnly.SendAsync(method, Concrete(path), read || method == HttpMethod.Delete ? null : "{}");
            bool refused = response.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
            if (read ? refused : response.Status != HttpStatusCode.Forbidden)
            {
                wrong.Add($"{method} {path} answered {(int)response.Status} to a read-only key");
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public async Task OpenApiDocument_ListsEveryResource()
    {
        List<(HttpMethod Method, string Path)> operations = await OperationsAsync();

        string[] resources = ["configurations", "sites", "servers", "profiles", "devices", "compliance-policies", "conditional-access-policies", "users", "groups", "api-keys", "audit"];
        foreach (string resource in resources)
        {
            Assert.Contains(operations, o => o.Path == $"/api/v1/{resource}" && o.Method == HttpMethod.Get);
        }

        Assert.Contains(operations, o => o.Path == "/api/v1/sites/{siteId}/enrolment-tokens" && o.Method == HttpMethod.Post);
        Assert.True(operations.Count >= 50, $"Only {operations.Count} operations in the document.");
    }

    [Fact]
    public async Task OpenApiDocument_DescribesSignInAndCamelCaseQueries()
    {
        JsonElement document = (await fixture.Anonymous.ReadAsync("/openapi/v1.json")).Json;

        JsonElement schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
        JsonElement listServers = document.GetProperty("paths").GetProperty("/api/v1/servers").GetProperty("get");
        Assert.Contains(listServers.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "pageSize");
        Assert.Contains(listServers.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "siteId");
        Assert.Equal(0, document.GetProperty("paths").GetProperty("/api/v1/enrolment").GetProperty("post").GetProperty("security").GetArrayLength());
    }

    private async Task<List<(HttpMethod Method, string Path)>> OperationsAsync()
    {
        ApiResponse document = await fixture.Anonymous.ReadAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.Status);
        var operations = new List<(HttpMethod, string)>();
        foreach (JsonProperty path in document.Json.GetProperty("paths").EnumerateObject())
        {
            foreach (JsonProperty operation in path.Value.EnumerateObject())
            {
                operations.Add((new HttpMethod(operation.Name.ToUpperInvariant()), path.Name));
            }
        }

        return operations;
    }

    /// <summary>Fills route parameters: the audit log's ids are numbers, all others GUIDs.</summary>
    private static string Concrete(string path) => System.Text.RegularExpressions.Regex.Replace(
        path, "\\{[^}]+\\}", _ => path.StartsWith("/api/v1/audit", StringComparison.Ordinal) ? "1" : Guid.NewGuid().ToString());
}

[Trait("Category", "Integration")]
public sealed class EndpointAuthorizationTestsOnSqlite(SqliteApp fixture) : EndpointAuthorizationTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class EndpointAuthorizationTestsOnPostgres(PostgresApp fixture) : EndpointAuthorizationTests<PostgresApp>(fixture);
