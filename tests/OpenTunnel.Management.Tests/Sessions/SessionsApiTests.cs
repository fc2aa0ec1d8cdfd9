using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Tests.Harness;
using Xunit.Abstractions;

namespace OpenTunnel.Management.Tests.Sessions;

/// <summary>
/// The newest session snapshot of each server and GET /api/v1/sessions on each database:
/// replacement, stale snapshots, filters, paging, a snapshot of 10,000 sessions, and the
/// session commands with their roles. Snapshots are stored through the agent link's ingest (the
/// link with a real agent, gateway and openconnect is in OpenTunnel.EndToEnd.Tests, Agent/SessionsEndToEndTests).
/// </summary>
public abstract class SessionsApiTests<TApp>(TApp fixture, ITestOutputHelper output) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private static readonly DateTime Now = DateTime.UtcNow;

    private readonly HttpClient _admin = fixture.Admin;

    [Fact]
    public async Task Snapshot_ReplacesTheServersSessions_AnOlderOneIsIgnored_AndTheListFilters()
    {
        (ApiResponse site, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        (_, ApiResponse other) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        string alice = ManagementAppFixture.Unique("alice");
        string bob = ManagementAppFixture.Unique("bob");
        string device = ManagementAppFixture.Unique("dev");
        Assert.Equal(SessionSnapshotOutcome.Stored, await IngestAsync(server.Id, Snapshot(Now.AddMinutes(-2), Session(1, alice, device), Session(2, bob), Session(3, alice))));
        Assert.Equal(SessionSnapshotOutcome.Stored, await IngestAsync(other.Id, Snapshot(Now.AddMinutes(-2), Session(1, alice))));
        Assert.Equal(SessionSnapshotOutcome.Stored, await IngestAsync(server.Id, Snapshot(Now.AddMinutes(-1), Session(1, alice, device), Session(3, alice))));
        Assert.Equal(SessionSnapshotOutcome.Stale, await IngestAsync(server.Id, Snapshot(Now.AddMinutes(-3), Session(2, bob))));

        JsonElement ofAlice = (await _admin.ReadAsync($"/api/v1/sessions?user={alice}")).Json;
        JsonElement ofBob = (await _admin.ReadAsync($"/api/v1/sessions?user={bob}")).Json;
        JsonElement byDevice = (await _admin.ReadAsync($"/api/v1/sessions?device={device}")).Json;
        JsonElement bySite = (await _admin.ReadAsync($"/api/v1/sessions?user={alice}&site={site.Json.GetProperty("name").GetString()}")).Json;
        JsonElement byServer = (await _admin.ReadAsync($"/api/v1/sessions?user={alice}&server={other.Id}")).Json;
        JsonElement byServerName = (await _admin.ReadAsync($"/api/v1/sessions?user={alice}&server={server.Json.GetProperty("name").GetString()}&session=3")).Json;
        JsonElement paged = (await _admin.ReadAsync($"/api/v1/sessions?user={alice}&pageSize=2&page=2")).Json;

        Assert.Equal(3, ofAlice.GetProperty("totalCount").GetInt32());
        Assert.Equal(0, ofBob.GetProperty("totalCount").GetInt32());
        JsonElement first = Assert.Single(byDevice.GetProperty("items").EnumerateArray());
        Assert.Equal(server.Id, first.GetProperty("serverId").GetString());
        Assert.Equal(site.Id, first.GetProperty("siteId").GetString());
        Assert.Equal(1, first.GetProperty("sessionId").GetInt64());
        Assert.Equal("198.18.128.2", first.GetProperty("address").GetString());
        Assert.Equal("DTLS", first.GetProperty("channel").GetString());
        Assert.Equal(Now.AddMinutes(-1), first.GetProperty("reportedAt").GetDateTime().ToUniversalTime(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, bySite.GetProperty("totalCount").GetInt32());
        Assert.Equal(other.Id, Assert.Single(byServer.GetProperty("items").EnumerateArray()).GetProperty("serverId").GetString());
        Assert.Equal(3, Assert.Single(byServerName.GetProperty("items").EnumerateArray()).GetProperty("sessionId").GetInt64());
        Assert.Single(paged.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Snapshot_OfTenThousandSessions_IsStoredAndListedInPages()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        string user = ManagementAppFixture.Unique("many");
        LiveSession[] sessions = [.. Enumerable.Range(1, SessionSnapshot.MaximumSessions).Select(i => Session(i, user))];

        var clock = Stopwatch.StartNew();
        Assert.Equal(SessionSnapshotOutcome.Stored, await IngestAsync(server.Id, new SessionSnapshot(Now, 12_000, sessions)));
        TimeSpan stored = clock.Elapsed;
        clock.Restart();
        JsonElement last = (await _admin.ReadAsync($"/api/v1/sessions?server={server.Id}&pageSize=500&page=20")).Json;
        TimeSpan listed = clock.Elapsed;
        // The next snapshot replaces all of them.
        Assert.Equal(SessionSnapshotOutcome.Stored, await IngestAsync(server.Id, Snapshot(Now.AddSeconds(30), Session(5, user))));

        Assert.Equal(SessionSnapshot.MaximumSessions, last.GetProperty("totalCount").GetInt32());
        Assert.Equal(500, last.GetProperty("items").GetArrayLength());
        Assert.Equal(1, (await _admin.ReadAsync($"/api/v1/sessions?server={server.Id}")).Json.GetProperty("totalCount").GetInt32());
        output.WriteLine($"{SessionSnapshot.MaximumSessions} sessions stored in {stored.TotalMilliseconds:0} ms; their last page of 500 listed in {listed.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task Commands_PerSession_GoToItsServer_PerUser_ToEveryServerHoldingOne()
    {
        (_, ApiResponse server) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        (_, ApiResponse other) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        (_, ApiResponse third) = await Objects.EnrolledServerAsync(_admin, fixture.Anonymous);
        string carol = ManagementAppFixture.Unique("carol");
        await IngestAsync(server.Id, Snapshot(Now, Session(7, carol), Session(8, carol)));
        await IngestAsync(other.Id, Snapshot(Now, Session(1, carol)));
        await IngestAsync(third.Id, Snapshot(Now, Session(1, ManagementAppFixture.Unique("dan"))));

        ApiResponse one = await _admin.SendAsync(HttpMethod.Post, "/api/v1/sessions/commands", new { kind = "terminate", serverId = server.Id, sessionId = 7 });
        ApiResponse all = await _admin.SendAsync(HttpMethod.Post, "/api/v1/sessions/commands", new { kind = "disconnect", user = carol });

        Assert.Equal(HttpStatusCode.Created, one.Status);
        JsonElement command = Assert.Single(one.Json.EnumerateArray());
        Assert.Equal(server.Id, command.GetProperty("serverId").GetString());
        Assert.Equal("terminate", command.GetProperty("kind").GetString());
        Assert.Equal("7", command.GetProperty("target").GetString());
        Assert.Equal("pending", command.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Created, all.Status);
        Assert.Equal(
            new[] { server.Id, other.Id }.Order(),
            all.Json.EnumerateArray().Select(c => c.GetProperty("serverId").GetString()!).Order());
        Assert.All(all.Json.EnumerateArray(), c => Assert.Equal(carol, c.GetProperty("target").GetString()));
        JsonElement listed = (await _admin.ReadAsync($"/api/v1/servers/{server.Id}/commands")).Json;
        Assert.Equal(2, listed.GetArrayLength());
    }

    [Theory]
    [InlineData("{}", "kind")]
    [InlineData("""{"kind":"collectLogs","user":"alice"}""", "kind")]
    [InlineData("""{"kind":"disconnect"}""", "serverId")]
    [InlineData("""{"kind":"disconnect","serverId":"5f0e9c3a-0000-4000-8000-000000000001"}""", "sessionId")]
    [InlineData("""{"kind":"disconnect","user":"alice","sessionId":3}""", "user")]
    [InlineData("""{"kind":"terminate","user":""}""", "user")]
    public async Task Commands_BadBody_Returns400NamingTheField(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage answer = await _admin.PostAsync("/api/v1/sessions/commands", content);
        string text = await answer.Content.ReadAsStringAsync();

        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{body} answered {(int)answer.StatusCode}: {text}");
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    [Fact]
    public async Task Commands_UserWithoutSessions_Is404_ReadOnlyKeyIs403_ButReads()
    {
        ApiResponse nobody = await _admin.SendAsync(HttpMethod.Post, "/api/v1/sessions/commands", new { kind = "terminate", user = ManagementAppFixture.Unique("nobody") });
        ApiResponse refused = await fixture.ReadOnly.SendAsync(HttpMethod.Post, "/api/v1/sessions/commands", new { kind = "terminate", user = "alice" });
        ApiResponse read = await fixture.ReadOnly.ReadAsync("/api/v1/sessions?pageSize=1");
        using HttpResponseMessage anonymous = await fixture.Anonymous.GetAsync("/api/v1/sessions");

        Assert.Equal(HttpStatusCode.NotFound, nobody.Status);
        Assert.Contains("snapshot", nobody.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Theory]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("page=0", "page")]
    public async Task List_BadPaging_Returns400NamingTheParameter(string query, string parameter)
    {
        ApiResponse refused = await _admin.ReadAsync($"/api/v1/sessions?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.NotEmpty(refused.ErrorsFor(parameter));
    }

    internal static LiveSession Session(long id, string user, string? device = null) =>
        new(id, user, device, "198.18.1.2:40000", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"198.18.{128 + (id / 250 % 64)}.{(id % 250) + 1}"), null, "DTLS",
            Now.AddHours(-1), Now.AddMinutes(-30), 1000 * id, 2000 * id);

    private static SessionSnapshot Snapshot(DateTime takenAt, params LiveSession[] sessions) => new(takenAt, sessions.Length, sessions);

    private async Task<SessionSnapshotOutcome> IngestAsync(string server, SessionSnapshot snapshot)
    {
        await using AsyncServiceScope scope = fixture.App.Services.CreateAsyncScope();
        (SessionSnapshotOutcome outcome, var errors) = await scope.ServiceProvider.GetRequiredService<SessionSnapshotIngest>().IngestAsync(Guid.Parse(server), snapshot, CancellationToken.None);
        Assert.True(outcome != SessionSnapshotOutcome.Invalid, string.Join("; ", errors.ToDictionary().Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        return outcome;
    }
}

[Trait("Category", "Integration")]
public sealed class SessionsApiTestsOnSqlite(SqliteApp fixture, ITestOutputHelper output) : SessionsApiTests<SqliteApp>(fixture, output);

[Trait("Category", "Integration")]
public sealed class SessionsApiTestsOnPostgres(PostgresApp fixture, ITestOutputHelper output) : SessionsApiTests<PostgresApp>(fixture, output);
