using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTunnel.Management.AccessLog;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.AccessLog;

/// <summary>
/// GET /api/v1/access-log on each database: filters, cursor paging, roles, refused queries and
/// the retention delete. The records are stored as the agent link's ingest stores them (the link
/// itself is tested with a real agent in OpenTunnel.Agent.Tests, Link/AccessLogLinkTests).
/// </summary>
public abstract class AccessLogApiTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private static readonly DateTime Morning = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);

    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task List_FiltersByUserDeviceSiteServerAndTime_NewestEndFirst()
    {
        string user = ManagementAppFixture.Unique("alice");
        string device = ManagementAppFixture.Unique("dev");
        Guid server = Guid.NewGuid();
        string site = ManagementAppFixture.Unique("site");
        await StoreAsync(
            Entry(user, Morning, Morning.AddHours(1), device: device),
            Entry(user, Morning.AddHours(2), Morning.AddHours(3), server: server, site: site),
            Entry(user, Morning.AddHours(4), Morning.AddHours(5), device: device, server: server),
            Entry(ManagementAppFixture.Unique("bob"), Morning, Morning.AddHours(9), device: device));

        JsonElement all = (await _admin.ReadAsync($"/api/v1/access-log?user={user}")).Json;
        JsonElement byDevice = (await _admin.ReadAsync($"/api/v1/access-log?user={user}&device={device}")).Json;
        JsonElement byServer = (await _admin.ReadAsync($"/api/v1/access-log?user={user}&server={server}")).Json;
        JsonElement bySiteName = (await _admin.ReadAsync($"/api/v1/access-log?site={site}")).Json;
        // Up at some moment from 10:30 to before 12:00 UTC: only the session from 10:00 to 11:00 (the next starts at 12:00).
        JsonElement byTime = (await _admin.ReadAsync($"/api/v1/access-log?user={user}&from=2026-12-01T10:30:00Z&to=2026-12-01T14:00:00%2B02:00")).Json;

        Assert.Equal([Morning.AddHours(5), Morning.AddHours(3), Morning.AddHours(1)], EndTimes(all));
        Assert.Equal([Morning.AddHours(5), Morning.AddHours(1)], EndTimes(byDevice));
        Assert.Equal([Morning.AddHours(5), Morning.AddHours(3)], EndTimes(byServer));
        Assert.Equal([Morning.AddHours(3)], EndTimes(bySiteName));
        Assert.Equal([Morning.AddHours(3)], EndTimes(byTime));
        JsonElement first = all.GetProperty("items")[0];
        Assert.Equal(user, first.GetProperty("userName").GetString());
        Assert.Equal("198.18.128.7", first.GetProperty("address").GetString());
        Assert.Equal("client disconnected", first.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task List_PagesWithTheCursor_EachRecordOnce_EvenWhenEndsAreEqual()
    {
        string user = ManagementAppFixture.Unique("carol");
        await StoreAsync(
            Entry(user, Morning, Morning.AddMinutes(10)),
            Entry(user, Morning, Morning.AddMinutes(20)),
            Entry(user, Morning, Morning.AddMinutes(20)),
            Entry(user, Morning, Morning.AddMinutes(20)),
            Entry(user, Morning, Morning.AddMinutes(30)));

        var seen = new List<JsonElement>();
        string? cursor = null;
        int pages = 0;
        do
        {
            JsonElement page = (await _admin.ReadAsync($"/api/v1/access-log?user={user}&limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}")).Json;
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Select(e => e.GetProperty("recordId").GetString()).Distinct().Count());
        Assert.Equal([30, 20, 20, 20, 10], seen.Select(e => (int)(e.GetProperty("endedAt").GetDateTime() - Morning).TotalMinutes));
    }

    [Fact]
    public async Task List_ReadOnlyKeyReads_AnonymousIsRefused()
    {
        using HttpResponseMessage anonymous = await fixture.Anonymous.GetAsync("/api/v1/access-log");
        ApiResponse readOnly = await fixture.ReadOnly.ReadAsync("/api/v1/access-log?limit=1");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readOnly.Status);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("user=", "user")]
    [InlineData("user=a&user=b", "user")]
    [InlineData("users=alice", "users")]
    public async Task List_BadQueryValue_Returns400NamingTheParameter(string query, string parameter)
    {
        ApiResponse refused = await _admin.ReadAsync($"/api/v1/access-log?{query}");

        Assert.True(refused.Status == HttpStatusCode.BadRequest, $"{query} answered {(int)refused.Status}: {refused.Body}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.NotEmpty(refused.ErrorsFor(parameter));
    }

    [Fact]
    public async Task DeleteExpired_RemovesTheRecordsOfSessionsEndedBeforeTheRetention_Only()
    {
        string user = ManagementAppFixture.Unique("dave");
        DateTime now = new(2027, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        await StoreAsync(
            Entry(user, now.AddDays(-100), now.AddDays(-91)),
            Entry(user, now.AddDays(-95), now.AddDays(-89)),
            Entry(user, now.AddDays(-1), now.AddHours(-1)));

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            await AccessLogRetention.DeleteExpiredAsync(scope.ServiceProvider.GetRequiredService<ManagementDbContext>(), now, 90, CancellationToken.None);
        }

        JsonElement left = (await _admin.ReadAsync($"/api/v1/access-log?user={user}")).Json;
        Assert.Equal([now.AddHours(-1), now.AddDays(-89)], EndTimes(left));
    }

    private static DateTime[] EndTimes(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("endedAt").GetDateTime().ToUniversalTime())];

    private static AccessLogEntry Entry(string user, DateTime started, DateTime ended, string? device = null, Guid? server = null, string? site = null) =>
        AccessLogEntries.Entry(user, started, ended, device, server, site);

    private Task StoreAsync(params AccessLogEntry[] entries) => AccessLogEntries.StoreAsync(fixture.App, entries);
}

[Trait("Category", "Integration")]
public sealed class AccessLogApiTestsOnSqlite(SqliteApp fixture) : AccessLogApiTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class AccessLogApiTestsOnPostgres(PostgresApp fixture) : AccessLogApiTests<PostgresApp>(fixture);
