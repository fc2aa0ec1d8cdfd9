using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Link;

/// <summary>
/// The agent link against the real management service: mutual TLS refusals, the long poll,
/// reports, telemetry, health, renewal and commands; once on SQLite and once on PostgreSQL.
/// </summary>
public abstract class ManagementLinkTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ManagementServerFixture
{
    private readonly ManagementServer _server = fixture.Server;

    [Fact]
    public async Task Request_WithoutClientCertificate_Returns401AndIsLogged()
    {
        using HttpClient client = RawClient(null);

        using HttpResponseMessage response = await client.GetAsync(AgentRoutes.Poll);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("no client certificate", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(_server.Logged("Refused agent request GET /agent/v1/poll"));
    }

    [Fact]
    public async Task Request_WithSelfMadeCertificate_IsRefusedInTheHandshakeAndLogged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=intruder", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 selfMade = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        using HttpClient client = RawClient(selfMade);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(AgentRoutes.Poll));

        Assert.True(_server.Logged("Refused a TLS client certificate on the agent endpoint"));
        Assert.True(_server.Logged("'CN=intruder'"));
    }

    [Fact]
    public async Task Request_WithDeletedServersCertificate_IsRefused()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        Assert.NotNull(await agent.Link.PollAsync(null, false, 1, CancellationToken.None));
        await _server.Api.DeleteAsync($"/api/v1/servers/{agent.ServerId}");

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => agent.Link.PollAsync(null, false, 1, CancellationToken.None));

        Assert.Equal(ManagementFailure.Refused, refused.Failure);
        Assert.Contains("belongs to no server", refused.Message, StringComparison.Ordinal);
        Assert.True(_server.Logged("belongs to no server"));
    }

    [Fact]
    public async Task Request_WithRevokedCertificate_IsRefusedWithTheReason()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        JsonElement revoked = await _server.PostAsync($"/api/v1/servers/{agent.ServerId}/certificates/revoke", new { reason = "host compromised" });
        Assert.Equal(1, revoked.GetProperty("revoked").GetInt32());

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => agent.Link.PollAsync(null, false, 1, CancellationToken.None));

        Assert.Equal(ManagementFailure.Refused, refused.Failure);
        Assert.Contains("was revoked", refused.Message, StringComparison.Ordinal);
        Assert.Contains("host compromised", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_AdministratorChangesDns_ArrivesWhileThePollWaits()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AgentPoll first = (await agent.Link.PollAsync(null, false, 1, CancellationToken.None))!;
        Assert.Equal(["198.18.2.53"], first.Configuration!.Tunnel.DnsServers);

        var stopwatch = Stopwatch.StartNew();
        Task<AgentPoll?> waiting = agent.Link.PollAsync(first.Configuration.ETag, false, 5, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "The poll answered before anything changed.");
        DateTime changedAt = DateTime.UtcNow;
        string name = (await _server.GetAsync($"/api/v1/configurations/{agent.Configuration}")).GetProperty("name").GetString()!;
        await _server.Api.PutAsync($"/api/v1/configurations/{agent.Configuration}", new { name, ipv4Range = "198.18.128.0/24", dnsServers = new[] { "198.18.2.54" } });
        AgentPoll? next = await waiting;
        TimeSpan delay = DateTime.UtcNow - changedAt;

        Assert.NotNull(next?.Configuration);
        Assert.Equal(["198.18.2.54"], next.Configuration.Tunnel.DnsServers);
        Assert.NotEqual(first.Configuration.ETag, next.Configuration.ETag);
        Assert.True(delay < TimeSpan.FromSeconds(3), $"The change took {delay.TotalMilliseconds:0} ms to reach the waiting poll.");
    }

    [Fact]
    public async Task Poll_NothingChanged_AnswersNothingAfterTheWait()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AgentPoll first = (await agent.Link.PollAsync(null, false, 1, CancellationToken.None))!;

        AgentPoll? again = await agent.Link.PollAsync(first.Configuration!.ETag, false, 1, CancellationToken.None);

        Assert.Null(again);
    }

    [Fact]
    public async Task Poll_ServerDrained_SaysDrain()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AgentPoll first = (await agent.Link.PollAsync(null, false, 1, CancellationToken.None))!;
        await _server.Api.PutAsync($"/api/v1/servers/{agent.ServerId}", new { name = agent.Identity.Registration.ServerName, drain = true });

        AgentPoll? drained = await agent.Link.PollAsync(first.Configuration!.ETag, false, 5, CancellationToken.None);

        Assert.True(drained?.Drain);
        Assert.Null(drained!.Configuration);
    }

    [Fact]
    public async Task Telemetry_BatchSentAgain_IsStoredOnceInOrder_AndServerGoesOnline()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        DateTime now = DateTime.UtcNow;

        TelemetryAcknowledgement first = await agent.Link.SendTelemetryAsync(new TelemetryBatch([Sample(1, now), Sample(2, now), Sample(3, now)]), CancellationToken.None);
        TelemetryAcknowledgement second = await agent.Link.SendTelemetryAsync(new TelemetryBatch([Sample(2, now), Sample(3, now), Sample(4, now)]), CancellationToken.None);

        Assert.Equal((3L, 3, 0), (first.HighestSequence, first.Stored, first.Duplicates));
        Assert.Equal((4L, 1, 2), (second.HighestSequence, second.Stored, second.Duplicates));
        JsonElement series = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/telemetry");
        Assert.Equal([1L, 2L, 3L, 4L], series.EnumerateArray().Select(s => s.GetProperty("sequence").GetInt64()));
        JsonElement server = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}");
        Assert.Equal("online", server.GetProperty("state").GetString());
        Assert.Equal("healthy", server.GetProperty("health").GetString());
    }

    [Fact]
    public async Task Telemetry_SequenceNotRising_IsRejectedNamingTheField()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();

        var rejected = await Assert.ThrowsAsync<ManagementLinkException>(() =>
            agent.Link.SendTelemetryAsync(new TelemetryBatch([Sample(5, DateTime.UtcNow), Sample(5, DateTime.UtcNow)]), CancellationToken.None));

        Assert.Equal(ManagementFailure.Rejected, rejected.Failure);
        Assert.Contains("samples[1].sequence", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_ExpiringTlsCertificateAndUnreachableProbe_AreWarningAndUnhealthyWithReasons()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync(probeUrl: "http://198.18.2.10/health");
        DateTime now = DateTime.UtcNow;
        TelemetrySample expiring = Sample(1, now) with { TlsCertificateNotAfter = now.AddDays(10), InternalUrlReachable = false, InternalUrlCheckedAt = now, InternalUrlError = "connection refused" };
        await agent.Link.SendTelemetryAsync(new TelemetryBatch([expiring]), CancellationToken.None);

        JsonElement health = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/health");

        Assert.Equal("unhealthy", health.GetProperty("health").GetString());
        Assert.Equal("warning", Check(health, "tls-certificate").GetProperty("state").GetString());
        Assert.Contains("expires in 10 days", Check(health, "tls-certificate").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("unhealthy", Check(health, "internal-url").GetProperty("state").GetString());
        Assert.Contains(health.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("unreachable", StringComparison.Ordinal) && r.GetString()!.Contains("connection refused", StringComparison.Ordinal));

        TelemetrySample reachable = Sample(2, now) with { TlsCertificateNotAfter = now.AddDays(10), InternalUrlReachable = true, InternalUrlCheckedAt = now };
        await agent.Link.SendTelemetryAsync(new TelemetryBatch([reachable]), CancellationToken.None);
        JsonElement warning = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/health");
        Assert.Equal("warning", warning.GetProperty("health").GetString());
    }

    [Fact]
    public async Task Health_ConfigurationRefused_ShowsTheGatewaysReason()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AgentPoll poll = (await agent.Link.PollAsync(null, false, 1, CancellationToken.None))!;
        await agent.Link.SendTelemetryAsync(new TelemetryBatch([Sample(1, DateTime.UtcNow)]), CancellationToken.None);

        await agent.Link.ReportAsync(new ConfigurationReport(poll.Configuration!.ETag, poll.Configuration.ServerConfigurationVersion, false, "Network:DnsServers:0 'x' is not an IP address.", null, DateTime.UtcNow), CancellationToken.None);
        JsonElement health = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/health");

        Assert.Equal("warning", health.GetProperty("health").GetString());
        Assert.Equal(poll.Configuration.ETag, health.GetProperty("configuration").GetProperty("refusedETag").GetString());
        Assert.Equal("Network:DnsServers:0 'x' is not an IP address.", health.GetProperty("configuration").GetProperty("refusalReason").GetString());
        Assert.Contains(health.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("is not an IP address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Renewal_NewCertificate_SignsInAndIsRecorded()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        var renewer = new CertificateRenewer(new AgentIdentityStore(agent.DataDirectory), 100, NullLogger.Instance);

        using AgentIdentity renewed = (await renewer.RenewIfDueAsync(agent.Identity, agent.Link, DateTime.UtcNow, CancellationToken.None))!;
        agent.Link.UseCertificate(renewed.Certificate);

        Assert.NotEqual(agent.Identity.Certificate.SerialNumber, renewed.Certificate.SerialNumber);
        Assert.NotNull(await agent.Link.PollAsync(null, false, 1, CancellationToken.None));
        JsonElement certificates = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/certificates");
        Assert.Equal(2, certificates.GetArrayLength());
    }

    [Fact]
    public async Task Command_CreatedByAdministrator_IsDeliveredOnceAndItsResultRecorded()
    {
        using EnrolledAgent agent = await fixture.EnrolAsync();
        AgentPoll first = (await agent.Link.PollAsync(null, false, 1, CancellationToken.None))!;
        JsonElement created = await _server.CreateAsync($"/api/v1/servers/{agent.ServerId}/commands", new { kind = "revokeSessions", target = "alice" });

        AgentPoll? delivered = await agent.Link.PollAsync(first.Configuration!.ETag, false, 5, CancellationToken.None);
        AgentCommandMessage command = Assert.Single(delivered!.Commands);
        await agent.Link.CompleteCommandAsync(command.Id, new CommandResult(true, "terminate: 1 session(s) of 'alice'."), CancellationToken.None);
        AgentPoll? after = await agent.Link.PollAsync(first.Configuration.ETag, false, 1, CancellationToken.None);
        JsonElement stored = await _server.GetAsync($"/api/v1/servers/{agent.ServerId}/commands/{created.GetProperty("id").GetGuid()}");

        Assert.Equal((AgentCommandKind.RevokeSessions, "alice"), (command.Kind, command.Target));
        Assert.Null(after);
        Assert.Equal("succeeded", stored.GetProperty("state").GetString());
        Assert.Equal("terminate: 1 session(s) of 'alice'.", stored.GetProperty("output").GetString());
    }

    private static JsonElement Check(JsonElement health, string name) =>
        health.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static TelemetrySample Sample(long sequence, DateTime at) => new(
        sequence, at, 10, 20, 8L << 30, 10L << 30, 2, 0, 0, 0, null, at.AddDays(200), at.AddDays(80), "0.1.0", null, null, null, null, false, null);

    /// <summary>An HttpClient to the agent endpoint that trusts its CA and presents <paramref name="certificate"/> (or none).</summary>
    private HttpClient RawClient(X509Certificate2? certificate) =>
        ManagementHttp.CreateClient(new Uri(_server.AgentUrl), ManagementTrust.PinnedAuthority(_server.Authority.Certificate, new Uri(_server.AgentUrl)), certificate);
}

[Trait("Category", "Integration")]
public sealed class ManagementLinkTestsOnSqlite(SqliteManagementServer fixture) : ManagementLinkTests<SqliteManagementServer>(fixture);

[Trait("Category", "Integration")]
public sealed class ManagementLinkTestsOnPostgres(PostgresManagementServer fixture) : ManagementLinkTests<PostgresManagementServer>(fixture);
