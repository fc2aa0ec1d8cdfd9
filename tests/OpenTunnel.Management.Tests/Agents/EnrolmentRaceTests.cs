using System.Net;
using OpenTunnel.Management.Tests.Harness;

namespace OpenTunnel.Management.Tests.Agents;

/// <summary>
/// One enrolment token redeemed by many requests at once: exactly one server comes of it, on
/// each database. The token is spent by a conditional update whose changed rows are counted.
/// </summary>
public abstract class EnrolmentRaceTests<TApp>(TApp fixture) : IClassFixture<TApp>
    where TApp : ManagementAppFixture
{
    private const int Requests = 10;

    [Fact]
    public async Task Enrol_TenParallelRedeemsOfOneToken_MakeExactlyOneServer()
    {
        ApiResponse site = await Objects.SiteAsync(fixture.Admin);
        ApiResponse token = await fixture.Admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });
        string secret = token.Json.GetProperty("token").GetString()!;
        var bodies = Enumerable.Range(0, Requests)
            .Select(i => new { token = secret, serverName = ManagementAppFixture.Unique($"gw{i}"), certificateRequest = Objects.CertificateRequest() })
            .ToList();
        using var start = new ManualResetEventSlim();

        Task<ApiResponse>[] racing = [.. bodies.Select(body => Task.Run(() =>
        {
            start.Wait();
            return fixture.Anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment", body);
        }))];
        start.Set();
        ApiResponse[] answers = await Task.WhenAll(racing);

        int created = answers.Count(a => a.Status == HttpStatusCode.Created);
        Assert.True(created == 1, $"{created} of {Requests} redeems of one token enrolled a server (answers: {string.Join(", ", answers.Select(a => (int)a.Status))}).");
        ApiResponse winner = answers.Single(a => a.Status == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a != winner), a =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, a.Status);
            Assert.Contains("the token was already used", a.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        });
        ApiResponse servers = await fixture.Admin.ReadAsync($"/api/v1/servers?siteId={site.Id}");
        Assert.Equal(1, servers.Json.GetProperty("totalCount").GetInt32());
        Assert.Equal(winner.Id, servers.Json.GetProperty("items")[0].GetProperty("id").GetString());
        ApiResponse tokens = await fixture.Admin.ReadAsync($"/api/v1/sites/{site.Id}/enrolment-tokens");
        Assert.Equal(winner.Id, tokens.Json[0].GetProperty("redeemedByServerId").GetString());
        ApiResponse certificates = await fixture.Admin.ReadAsync($"/api/v1/servers/{winner.Id}/certificates");
        Assert.Equal(1, certificates.Json.GetArrayLength());
    }
}

[Trait("Category", "Integration")]
public sealed class EnrolmentRaceTestsOnSqlite(SqliteApp fixture) : EnrolmentRaceTests<SqliteApp>(fixture);

[Trait("Category", "Integration")]
public sealed class EnrolmentRaceTestsOnPostgres(PostgresApp fixture) : EnrolmentRaceTests<PostgresApp>(fixture);
