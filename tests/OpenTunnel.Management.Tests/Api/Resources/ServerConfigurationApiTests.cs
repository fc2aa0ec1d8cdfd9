using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Api.Resources;

/// <summary>/api/v1/configurations through real HTTP, on each database.</summary>
public abstract class ServerConfigurationApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private const string Url = "/api/v1/configurations";
    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task Create_MinimalConfiguration_StoresDocumentedDefaultsWithETag()
    {
        string name = ManagementAppFixture.Unique("cfg");
        ApiResponse created = await _admin.CreateAsync(Url, new { name });

        Assert.Equal("\"1\"", created.ETag);
        Assert.Equal("169.254.0.0/16", created.Json.GetProperty("ipv4Range").GetString());
        Assert.Equal(443, created.Json.GetProperty("port").GetInt32());
        Assert.Equal(20, created.Json.GetProperty("idleTimeoutMinutes").GetInt32());
        Assert.False(created.Json.GetProperty("udpDisabled").GetBoolean());
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(created.ETag, read.ETag);
        Assert.Equal(name, read.Json.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Update_WithCurrentIfMatch_StoresChangeAndAdvancesETag()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });
        var change = new
        {
            name = ManagementAppFixture.Unique("cfg"),
            ipv4Range = "198.18.128.0/24",
            ipv6Range = "2001:db8:80::/64",
            dnsServers = new[] { "198.18.2.53", "2001:db8:2::53" },
            dnsSuffixes = new[] { "corp.example" },
            splitDnsDomains = new[] { "internal.example" },
            includeRoutes = new[] { "198.18.2.0/24", "2001:db8:2::/64" },
            excludeRoutes = new[] { "198.18.2.128/25" },
            port = 8443,
            udpDisabled = true,
            sessionTimeoutMinutes = 600,
            idleTimeoutMinutes = 30,
            allowClientToClient = true,
        };

        ApiResponse updated = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", change, created.ETag);

        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal("\"2\"", updated.ETag);
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");
        Assert.Equal("\"2\"", read.ETag);
        Assert.Equal(8443, read.Json.GetProperty("port").GetInt32());
        Assert.Equal("2001:db8:2::53", read.Json.GetProperty("dnsServers")[1].GetString());
        Assert.Equal("198.18.2.128/25", read.Json.GetProperty("excludeRoutes")[0].GetString());
        Assert.Equal(600, read.Json.GetProperty("sessionTimeoutMinutes").GetInt32());
        Assert.True(read.Json.GetProperty("allowClientToClient").GetBoolean());
    }

    [Fact]
    public async Task Update_WithoutIfMatch_Returns428()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", new { name = ManagementAppFixture.Unique("cfg") });

        Assert.Equal(HttpStatusCode.PreconditionRequired, refused.Status);
        Assert.Equal("application/problem+json", refused.ContentType);
    }

    [Fact]
    public async Task Update_WithStaleIfMatch_Returns412AndKeepsNewerValue()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });
        string newer = ManagementAppFixture.Unique("cfg");
        Assert.Equal(HttpStatusCode.OK, (await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", new { name = newer }, created.ETag)).Status);

        ApiResponse stale = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", new { name = ManagementAppFixture.Unique("cfg") }, created.ETag);

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal(newer, (await _admin.ReadAsync($"{Url}/{created.Id}")).Json.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Delete_WithStaleIfMatch_Returns412()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"{Url}/{created.Id}", ifMatch: "\"7\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.Status);
    }

    [Theory]
    [InlineData("{\"name\":\"\"}", "name")]
    [InlineData("{\"name\":\"x\",\"ipv4Range\":\"198.18.0.0\"}", "ipv4Range")]
    [InlineData("{\"name\":\"x\",\"ipv4Range\":\"198.18.0.1/24\"}", "ipv4Range")]
    [InlineData("{\"name\":\"x\",\"ipv4Range\":\"2001:db8::/64\"}", "ipv4Range")]
    [InlineData("{\"name\":\"x\",\"ipv6Range\":\"198.18.0.0/24\"}", "ipv6Range")]
    [InlineData("{\"name\":\"x\",\"dnsServers\":[\"198.18.0.300\"]}", "dnsServers[0]")]
    [InlineData("{\"name\":\"x\",\"dnsSuffixes\":[\"bad_suffix.example\"]}", "dnsSuffixes[0]")]
    [InlineData("{\"name\":\"x\",\"splitDnsDomains\":[\"-x.example\"]}", "splitDnsDomains[0]")]
    [InlineData("{\"name\":\"x\",\"includeRoutes\":[\"198.18.2.0/33\"]}", "includeRoutes[0]")]
    [InlineData("{\"name\":\"x\",\"excludeRoutes\":[\"not-a-range\"]}", "excludeRoutes[0]")]
    [InlineData("{\"name\":\"x\",\"ipv4Range\":\"198.18.128.0/24\",\"includeRoutes\":[\"198.18.0.0/16\"]}", "includeRoutes[0]")]
    [InlineData("{\"name\":\"x\",\"port\":0}", "port")]
    [InlineData("{\"name\":\"x\",\"idleTimeoutMinutes\":0}", "idleTimeoutMinutes")]
    [InlineData("{\"name\":\"x\",\"port\":\"https\"}", "port")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"\"}]}", "groupPolicies[0].group")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\"},{\"group\":\"eng\"}]}", "groupPolicies[1].group")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\",\"includeRoutes\":[\"198.18.4.1/24\"]}]}", "groupPolicies[0].includeRoutes[0]")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\",\"includeRoutes\":[\"198.18.4.0/24\",\"198.18.4.0/25\"]}]}", "groupPolicies[0].includeRoutes[1]")]
    [InlineData("{\"name\":\"x\",\"ipv4Range\":\"198.18.128.0/24\",\"groupPolicies\":[{\"group\":\"eng\",\"excludeRoutes\":[\"198.18.128.0/25\"]}]}", "groupPolicies[0].excludeRoutes[0]")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\",\"dnsServers\":[\"dns.example\"]}]}", "groupPolicies[0].dnsServers[0]")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\",\"dnsServers\":[\"198.18.4.1\",\"198.18.4.2\",\"198.18.4.3\",\"198.18.4.4\"]}]}", "groupPolicies[0].dnsServers")]
    [InlineData("{\"name\":\"x\",\"groupPolicies\":[{\"group\":\"eng\",\"dnsSuffix\":\"bad_suffix\"}]}", "groupPolicies[0].dnsSuffix")]
    public async Task Create_InvalidField_Returns400NamingTheField(string body, string field)
    {
        await _admin.AssertInvalidAsync(Url, body, field);
    }

    [Fact]
    public async Task Create_501SplitRoutes_Returns400NamingTheLimit()
    {
        string[] include = [.. Enumerable.Range(0, 300).Select(i => $"198.19.{i / 256}.{i % 256}/32")];
        string[] exclude = [.. Enumerable.Range(0, 201).Select(i => $"198.19.{100 + (i / 256)}.{i % 256}/32")];

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, Url, new { name = ManagementAppFixture.Unique("cfg"), includeRoutes = include, excludeRoutes = exclude });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("500", refused.ErrorsFor("includeRoutes")[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_500SplitRoutes_IsAccepted()
    {
        string[] include = [.. Enumerable.Range(0, 250).Select(i => $"198.19.{i / 256}.{i % 256}/32")];
        string[] exclude = [.. Enumerable.Range(0, 250).Select(i => $"198.19.{100 + (i / 256)}.{i % 256}/32")];

        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg"), includeRoutes = include, excludeRoutes = exclude });

        Assert.Equal(250, created.Json.GetProperty("includeRoutes").GetArrayLength());
    }

    [Fact]
    public async Task Create_DuplicateName_Returns409()
    {
        string name = ManagementAppFixture.Unique("cfg");
        await _admin.CreateAsync(Url, new { name });

        ApiResponse duplicate = await _admin.SendAsync(HttpMethod.Post, Url, new { name });

        Assert.Equal(HttpStatusCode.Conflict, duplicate.Status);
    }

    [Fact]
    public async Task Delete_WhileASiteAppliesIt_Returns409NamingTheSite()
    {
        ApiResponse configuration = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });
        string siteName = ManagementAppFixture.Unique("site");
        await _admin.CreateAsync("/api/v1/sites", new { name = siteName, publicAddress = "vpn.example.com", serverConfigurationId = configuration.Id });

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Delete, $"{Url}/{configuration.Id}", ifMatch: configuration.ETag);

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains(siteName, refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _admin.ReadAsync($"{Url}/{configuration.Id}")).Status);
    }

    [Fact]
    public async Task Delete_Unused_Returns204AndThen404()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg") });

        ApiResponse deleted = await _admin.SendAsync(HttpMethod.Delete, $"{Url}/{created.Id}", ifMatch: created.ETag);

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.ReadAsync($"{Url}/{created.Id}")).Status);
    }

    [Fact]
    public async Task List_PagesAndFiltersByName()
    {
        string name = ManagementAppFixture.Unique("cfg");
        for (int i = 0; i < 3; i++)
        {
            await _admin.CreateAsync(Url, new { name = $"{name}-{i}" });
        }

        ApiResponse page = await _admin.ReadAsync($"{Url}?page=2&pageSize=1&name={name}-1");
        ApiResponse firstTwo = await _admin.ReadAsync($"{Url}?pageSize=2");
        ApiResponse badSize = await _admin.ReadAsync($"{Url}?pageSize=501");

        Assert.Equal(1, page.Json.GetProperty("totalCount").GetInt32());
        Assert.Equal(0, page.Json.GetProperty("items").GetArrayLength());
        Assert.Equal(2, firstTwo.Json.GetProperty("items").GetArrayLength());
        Assert.True(firstTwo.Json.GetProperty("totalCount").GetInt32() >= 3);
        Assert.NotEmpty(badSize.ErrorsFor("pageSize"));
    }

    [Fact]
    public async Task Changes_AreAuditedWithActorBeforeAndAfter()
    {
        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg"), port = 443 });
        ApiResponse updated = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", new { name = ManagementAppFixture.Unique("cfg"), port = 8443 }, created.ETag);
        await _admin.SendAsync(HttpMethod.Delete, $"{Url}/{created.Id}", ifMatch: updated.ETag);

        ApiResponse audit = await _admin.ReadAsync($"/api/v1/audit?entityId={created.Id}");

        var entries = audit.Json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["deleted", "updated", "created"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries, e => Assert.Equal("api-key:first-admin", e.GetProperty("actor").GetString()));
        Assert.All(entries, e => Assert.Equal("ServerConfiguration", e.GetProperty("entityType").GetString()));
        Assert.Contains("\"port\":443", entries[1].GetProperty("before").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"port\":8443", entries[1].GetProperty("after").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, entries[0].GetProperty("after").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, entries[2].GetProperty("before").ValueKind);
        string entry = entries[0].GetProperty("id").GetRawText();
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _admin.SendAsync(HttpMethod.Post, "/api/v1/audit", "{}")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _admin.SendAsync(HttpMethod.Delete, $"/api/v1/audit/{entry}")).Status);
    }

    [Fact]
    public async Task Create_GroupPolicies_AreStoredAndReadBack()
    {
        var policies = new[]
        {
            new { group = "eng", includeRoutes = new[] { "198.18.4.0/24" }, excludeRoutes = Array.Empty<string>(), replaceRoutes = true, dnsServers = new[] { "198.18.4.53" }, dnsSuffix = "eng.example" },
        };

        ApiResponse created = await _admin.CreateAsync(Url, new { name = ManagementAppFixture.Unique("cfg"), includeRoutes = new[] { "198.18.2.0/24" }, groupPolicies = policies });
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");

        var policy = read.Json.GetProperty("groupPolicies")[0];
        Assert.Equal("eng", policy.GetProperty("group").GetString());
        Assert.Equal("198.18.4.0/24", policy.GetProperty("includeRoutes")[0].GetString());
        Assert.True(policy.GetProperty("replaceRoutes").GetBoolean());
        Assert.Equal("eng.example", policy.GetProperty("dnsSuffix").GetString());
    }

    [Fact]
    public async Task Create_UnmanagedAccess_IsStoredAndReadBack_AndAnUpdateWithoutItClearsIt()
    {
        string name = ManagementAppFixture.Unique("cfg");
        var unmanagedAccess = new { includeRoutes = new[] { "198.18.7.0/24" }, dnsServers = new[] { "198.18.7.53" }, dnsSuffix = "web.example" };

        ApiResponse created = await _admin.CreateAsync(Url, new { name, unmanagedAccess });
        ApiResponse read = await _admin.ReadAsync($"{Url}/{created.Id}");
        ApiResponse updated = await _admin.SendAsync(HttpMethod.Put, $"{Url}/{created.Id}", new { name }, created.ETag);

        var access = read.Json.GetProperty("unmanagedAccess");
        Assert.Equal("198.18.7.0/24", access.GetProperty("includeRoutes")[0].GetString());
        Assert.Equal("198.18.7.53", access.GetProperty("dnsServers")[0].GetString());
        Assert.Equal("web.example", access.GetProperty("dnsSuffix").GetString());
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        bool present = (await _admin.ReadAsync($"{Url}/{created.Id}")).Json.TryGetProperty("unmanagedAccess", out var cleared);
        Assert.True(!present || cleared.ValueKind == System.Text.Json.JsonValueKind.Null, "the update without unmanagedAccess kept it");
    }

    [Fact]
    public async Task Create_UnmanagedAccessWithoutRoutes_Returns400NamingTheField()
    {
        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, Url, new { name = ManagementAppFixture.Unique("cfg"), unmanagedAccess = new { dnsSuffix = "web.example" } });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("needs at least one route: the only destinations an unmanaged device may reach.", refused.ErrorsFor("unmanagedAccess.includeRoutes")[0]);
    }

    [Fact]
    public async Task Create_GroupPoliciesWhoseUnionExceedsTheRouteLimit_Returns400NamingTheLimit()
    {
        // Each group alone is within 500 routes; a member of both would get 600.
        string[] first = [.. Enumerable.Range(0, 300).Select(i => $"198.19.{i / 256}.{i % 256}/32")];
        string[] second = [.. Enumerable.Range(0, 300).Select(i => $"198.19.{100 + (i / 256)}.{i % 256}/32")];

        ApiResponse refused = await _admin.SendAsync(HttpMethod.Post, Url, new
        {
            name = ManagementAppFixture.Unique("cfg"),
            groupPolicies = new[] { new { group = "a", includeRoutes = first }, new { group = "b", includeRoutes = second } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("would get 600 include and exclude routes", refused.ErrorsFor("groupPolicies")[0], StringComparison.Ordinal);
    }
}

[Trait("Category", "Integration")]
public sealed class ServerConfigurationApiTestsOnSqlite(SqliteApp fixture) : ServerConfigurationApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class ServerConfigurationApiTestsOnPostgres(PostgresApp fixture) : ServerConfigurationApiTests<PostgresApp>(fixture);
