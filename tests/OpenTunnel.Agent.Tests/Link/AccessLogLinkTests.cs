using System.Text.Json;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Link;

/// <summary>
/// Access records over the agent link into the real management service and back out of its
/// access-log API, once on SQLite and once on PostgreSQL: stored once per record id, with the
/// sending server's name and site; a bad batch refused naming the field; the agent's loop
/// delivering what its queue holds.
/// </summary>
public abstract class AccessLogLinkTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ManagementServerFixture
{
    private readonly ManagementServer _server = fixture.Server;

    [Fact]
    public async Task Records_SentTwice_AreStoredOnce_WithTheServersNameAndSite()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AccessRecord alice = Record(1, "alice");
        AccessRecord bob = Record(2, "bob");
        AccessRecord carol = Record(3, "carol");

        AccessRecordAcknowledgement first = await agent.Link.SendAccessRecordsAsync(new AccessRecordBatch([alice, bob]), CancellationToken.None);
        AccessRecordAcknowledgement again = await agent.Link.SendAccessRecordsAsync(new AccessRecordBatch([alice, bob, carol]), CancellationToken.None);

        Assert.Equal((2, 0), (first.Stored, first.Duplicates));
        Assert.Equal((1, 2), (again.Stored, again.Duplicates));
        JsonElement page = await _server.GetAsync($"/api/v1/access-log?server={agent.ServerId}");
        JsonElement[] items = [.. page.GetProperty("items").EnumerateArray()];
        Assert.Equal(["carol", "bob", "alice"], items.Select(i => i.GetProperty("userName").GetString()));
        JsonElement stored = items[2];
        Assert.Equal(alice.Id.ToString(), stored.GetProperty("recordId").GetString());
        Assert.Equal(agent.Identity.Registration.ServerName, stored.GetProperty("serverName").GetString());
        Assert.Equal(agent.Site.ToString(), stored.GetProperty("siteId").GetString());
        Assert.Equal(("198.18.128.5", "2001:db8:128::5", "idle timeout"), (stored.GetProperty("address").GetString(), stored.GetProperty("address6").GetString(), stored.GetProperty("reason").GetString()));
        Assert.Equal((1234L, 5678L), (stored.GetProperty("bytesIn").GetInt64(), stored.GetProperty("bytesOut").GetInt64()));
        JsonElement bySite = await _server.GetAsync($"/api/v1/access-log?site={agent.Site}&user=alice");
        Assert.Single(bySite.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Batch_WithAnEndBeforeItsStart_IsRejectedNamingTheField()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AccessRecord backwards = Record(1, "alice") with { EndedAt = DateTime.UtcNow.AddHours(-2) };

        var rejected = await Assert.ThrowsAsync<ManagementLinkException>(() =>
            agent.Link.SendAccessRecordsAsync(new AccessRecordBatch([Record(2, "bob"), backwards]), CancellationToken.None));

        Assert.Equal(ManagementFailure.Rejected, rejected.Failure);
        Assert.Contains("records[1].endedAt", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loop_DeliversTheQueuedRecords_AndEmptiesTheQueue_WhileTheGatewayIsAbsent()
    {
        // The agent's gateway is absent here (a control socket that does not exist): taking from it
        // fails and is logged, and what the queue holds from before is still delivered.
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);
        var queue = agent.Get<DurableQueue<AccessRecord>>();
        queue.Enqueue(sequence => Record(sequence, "dave"));
        queue.Enqueue(sequence => Record(sequence, "erin"));

        await agent.StartAsync<AccessLogLoop>();

        JsonElement page = default;
        Assert.True(
            await AgentUnderTest.WithinAsync(30, async () =>
            {
                page = await _server.GetAsync($"/api/v1/access-log?server={agent.Enrolled.ServerId}");
                return page.GetProperty("items").GetArrayLength() == 2;
            }),
            "The queued access records did not reach the service.");
        Assert.True(await AgentUnderTest.WithinAsync(10, () => Task.FromResult(queue.Count == 0)), $"The queue still holds {queue.Count} records.");
        Assert.Equal(["erin", "dave"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("userName").GetString()));
    }

    private static AccessRecord Record(long sequence, string user)
    {
        DateTime ended = DateTime.UtcNow.AddMinutes(-10 + sequence);
        return new AccessRecord(sequence, Guid.NewGuid(), sequence, user, "sub-" + user, "dev-" + user, "198.18.1.2:40000", "198.18.128.5", "2001:db8:128::5",
            ended.AddHours(-1), ended, "idle timeout", 1234, 5678);
    }
}

[Trait("Category", "Integration")]
public sealed class AccessLogLinkTestsOnSqlite(SqliteManagementServer fixture) : AccessLogLinkTests<SqliteManagementServer>(fixture);

[Trait("Category", "Integration")]
public sealed class AccessLogLinkTestsOnPostgres(PostgresManagementServer fixture) : AccessLogLinkTests<PostgresManagementServer>(fixture);
