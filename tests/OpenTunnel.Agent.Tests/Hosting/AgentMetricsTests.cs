using System.Net;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Observability;

namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>The agent's metrics and health on its loopback endpoint, while it follows a real management service.</summary>
[Trait("Category", "Integration")]
[Collection(AgentHostCollection.Name)]
public sealed class AgentMetricsTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task MetricsEndpoint_ShowsPollsAndQueueDepth_AndReadyFollowsTheLink()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);
        await agent.StartAsync<LoopbackHttpEndpoint>();
        Uri endpoint = agent.Get<LoopbackHttpEndpoint>().Address!;
        using var client = new HttpClient { BaseAddress = endpoint };
        using HttpResponseMessage readyBefore = await client.GetAsync(new Uri(HealthEndpoints.ReadyPath, UriKind.Relative));

        await agent.StartAsync<FollowLoop>();
        string scrape = string.Empty;
        bool polled = await AgentUnderTest.WithinAsync(20, async () =>
        {
            scrape = await client.GetStringAsync(new Uri(PrometheusMetrics.Path, UriKind.Relative));
            return scrape.Contains("opentunnel_agent_polls_total{", StringComparison.Ordinal);
        });
        using HttpResponseMessage live = await client.GetAsync(new Uri(HealthEndpoints.LivePath, UriKind.Relative));
        using HttpResponseMessage readyAfter = await client.GetAsync(new Uri(HealthEndpoints.ReadyPath, UriKind.Relative));
        using HttpResponseMessage other = await client.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));

        Assert.True(polled, $"No poll counted in the scrape:\n{scrape}");
        Assert.Matches(@"opentunnel_agent_polls_total\{[^}]*result=""(changed|unchanged)""[^}]*\} [1-9]", scrape);
        Assert.Matches(@"(?m)^opentunnel_agent_telemetry_queue_depth(\{[^}]*\})? \d+", scrape);
        Assert.Equal(IPAddress.Loopback.ToString(), endpoint.Host);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyAfter.StatusCode);
        Assert.Contains("\"management-link\":\"Healthy\"", await readyAfter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }
}
