using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Testing.Identity;

namespace OpenTunnel.Management.Tests.Profiles;

/// <summary>
/// <c>GET /api/v1/me/profiles</c> on the real service (SQLite file) with tokens of its embedded
/// identity provider, got by the device flow over loopback as the client gets them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProfileDeliveryEndpointsTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private const string DeviceScope = "openid offline_access opentunnel.device";

    private TestDatabase _database = null!;
    private ManagementApp _app = null!;
    private HttpClient _admin = null!;
    private HttpClient _anonymous = null!;
    private OidcClient _oidc = null!;
    private string _site = null!;
    private string _configuration = null!;

    public async Task InitializeAsync()
    {
        _database = TestDatabase.CreateSqlite();
        _app = ManagementApp.Start(_database, issuer: null, listen: true, new Dictionary<string, string> { ["Identity:RequireHttps"] = "false" });
        _admin = _app.Client(_app.AdminKey);
        _anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.Address };
        using JsonDocument discovery = JsonDocument.Parse(await _anonymous.GetStringAsync("/.well-known/openid-configuration"));
        _oidc = new OidcClient(_anonymous, discovery.RootElement.GetProperty("issuer").GetString()!);
        _configuration = (await _admin.CreateAsync("/api/v1/configurations", new { name = "cfg", port = 8443 })).Id;
        _site = (await _admin.CreateAsync("/api/v1/sites", new { name = "main", publicAddress = "vpn.example.com", serverConfigurationId = _configuration })).Id;
    }

    [Fact]
    public async Task List_ProfilesOfTheUsersGroups_WithSiteAddressPortAndProxy_OthersLeftOut()
    {
        string staff = await GroupAsync("staff");
        string other = await GroupAsync("other");
        await UserAsync("alice", staff);
        await ProfileAsync("office", "linux", [staff], new { host = "proxy.example.com", port = 3128, exclusions = new[] { "*.internal.example.com" } });
        await ProfileAsync("windows-office", "windows", [staff]);
        await ProfileAsync("not-mine", "linux", [other]);

        ApiResponse all = await ListAsync(await TokenAsync("alice"));
        ApiResponse linux = await ListAsync(await TokenAsync("alice"), "?platform=linux");

        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Equal(["office", "windows-office"], Names(all));
        Assert.Equal(["office"], Names(linux));
        JsonElement office = linux.Json.GetProperty("profiles")[0];
        Assert.Equal("vpn.example.com", office.GetProperty("site").GetProperty("publicAddress").GetString());
        Assert.Equal(8443, office.GetProperty("site").GetProperty("port").GetInt32());
        Assert.Equal("main", office.GetProperty("site").GetProperty("name").GetString());
        Assert.Equal("linux", office.GetProperty("platform").GetString());
        Assert.Equal("proxy.example.com", office.GetProperty("proxy").GetProperty("host").GetString());
        Assert.Equal(3128, office.GetProperty("proxy").GetProperty("port").GetInt32());
        Assert.NotNull(linux.ETag);
        Assert.NotEqual(all.ETag, linux.ETag);
    }

    [Fact]
    public async Task List_WithCurrentETag_NotModified_UntilAnAssignmentChanges()
    {
        string staff = await GroupAsync("staff");
        string other = await GroupAsync("other");
        await UserAsync("bob", staff);
        await ProfileAsync("office", "linux", [staff]);
        ApiResponse later = await ProfileAsync("lab", "linux", [other]);
        string token = await TokenAsync("bob");
        ApiResponse first = await ListAsync(token);

        ApiResponse unchanged = await ListAsync(token, ifNoneMatch: first.ETag);
        ApiResponse assigned = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/profiles/{later.Id}",
            new { name = "lab", siteId = _site, platform = "linux", assignedGroupIds = new[] { other, staff } }, later.ETag);
        ApiResponse changed = await ListAsync(token, ifNoneMatch: first.ETag);
        ApiResponse weak = await ListAsync(token, ifNoneMatch: "W/" + changed.ETag);

        Assert.Equal(["office"], Names(first));
        Assert.Equal(HttpStatusCode.NotModified, unchanged.Status);
        Assert.Equal(first.ETag, unchanged.ETag);
        Assert.Equal(HttpStatusCode.OK, assigned.Status);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Equal(["lab", "office"], Names(changed));
        Assert.NotEqual(first.ETag, changed.ETag);
        Assert.Equal(HttpStatusCode.NotModified, weak.Status);
    }

    [Fact]
    public async Task List_SiteAddressChanges_NewETag()
    {
        string staff = await GroupAsync("staff");
        await UserAsync("carol", staff);
        await ProfileAsync("office", "linux", [staff]);
        string token = await TokenAsync("carol");
        ApiResponse first = await ListAsync(token);
        ApiResponse site = await _admin.ReadAsync($"/api/v1/sites/{_site}");

        await _admin.SendAsync(HttpMethod.Put, $"/api/v1/sites/{_site}", new { name = "main", publicAddress = "198.18.1.1", serverConfigurationId = _configuration }, site.ETag);
        ApiResponse moved = await ListAsync(token, ifNoneMatch: first.ETag);

        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal("198.18.1.1", moved.Json.GetProperty("profiles")[0].GetProperty("site").GetProperty("publicAddress").GetString());
    }

    [Fact]
    public async Task List_AdminKeyOrNoToken_Unauthorized_UnknownPlatform_BadRequest()
    {
        string staff = await GroupAsync("staff");
        await UserAsync("dave", staff);

        ApiResponse withKey = await _admin.ReadAsync("/api/v1/me/profiles");
        ApiResponse anonymous = await _anonymous.ReadAsync("/api/v1/me/profiles");
        ApiResponse badPlatform = await ListAsync(await TokenAsync("dave"), "?platform=beos");

        Assert.Equal(HttpStatusCode.Unauthorized, withKey.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badPlatform.Status);
        Assert.Contains("'beos'", badPlatform.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_DisabledUser_Forbidden()
    {
        string staff = await GroupAsync("staff");
        string user = await UserAsync("erin", staff);
        string token = await TokenAsync("erin");
        ApiResponse stored = await _admin.ReadAsync($"/api/v1/users/{user}");

        await _admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user}", new { name = "erin", displayName = "Erin", enabled = false, groupIds = new[] { staff } }, stored.ETag);
        ApiResponse refused = await ListAsync(token);

        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("erin is disabled", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        _anonymous?.Dispose();
        _admin?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _database.DisposeAsync();
    }

    private static string[] Names(ApiResponse list) => [.. list.Json.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("name").GetString()!)];

    private async Task<string> GroupAsync(string name) => (await _admin.CreateAsync("/api/v1/groups", new { name = ManagementAppFixture.Unique(name) })).Id;

    private async Task<string> UserAsync(string name, string group)
    {
        string id = (await _admin.CreateAsync("/api/v1/users", new { name, displayName = name, groupIds = new[] { group } })).Id;
        ApiResponse password = await _admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{id}/password", new { password = Password });
        Assert.Equal(HttpStatusCode.NoContent, password.Status);
        return id;
    }

    private Task<ApiResponse> ProfileAsync(string name, string platform, string[] groups, object? proxy = null) =>
        _admin.CreateAsync("/api/v1/profiles", new { name, siteId = _site, platform, assignedGroupIds = groups, proxy });

    private async Task<string> TokenAsync(string user) => (await _oidc.DeviceFlowAsync(user, Password, DeviceScope)).AccessToken!;

    private async Task<ApiResponse> ListAsync(string token, string query = "", string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me/profiles" + query);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        using HttpResponseMessage response = await _anonymous.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        JsonElement json = body.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(body).RootElement.Clone()
            : default;
        return new ApiResponse(response.StatusCode, response.Headers.ETag?.ToString(), response.Content.Headers.ContentType?.ToString(), json, body);
    }
}
