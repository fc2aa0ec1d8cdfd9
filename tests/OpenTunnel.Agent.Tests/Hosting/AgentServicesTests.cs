using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

[Trait("Category", "Integration")]
[Collection(AgentHostCollection.Name)]
public sealed class AgentServicesTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task AddAgent_EnrolledServer_HostsTheSixLoopsOverOneLinkAndState_AndTheMetricsEndpoint()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);

        // The agent's own (the health checks' publisher service comes with them and publishes nothing here).
        var loops = agent.Get<IServiceProvider>().GetServices<IHostedService>().Select(s => s.GetType()).Where(t => t.Namespace!.StartsWith("OpenTunnel.", StringComparison.Ordinal)).ToList();

        Assert.Equal([typeof(FollowLoop), typeof(TelemetryLoop), typeof(AccessLogLoop), typeof(SessionSnapshotLoop), typeof(ProbeLoop), typeof(RenewalLoop), typeof(OpenTunnel.Observability.LoopbackHttpEndpoint)], loops);
        Assert.Same(agent.State, agent.Get<AgentState>());
        Assert.Equal(agent.Enrolled.ServerId, agent.State.Identity.Registration.ServerId);
        Assert.Null(agent.State.Applied);
    }
}
