using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

[Trait("Category", "Integration")]
public sealed class AgentServicesTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task AddAgent_EnrolledServer_HostsTheFourLoopsOverOneLinkAndState()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);

        var loops = agent.Get<IServiceProvider>().GetServices<IHostedService>().Select(s => s.GetType()).ToList();

        Assert.Equal([typeof(FollowLoop), typeof(TelemetryLoop), typeof(ProbeLoop), typeof(RenewalLoop)], loops);
        Assert.Same(agent.State, agent.Get<AgentState>());
        Assert.Equal(agent.Enrolled.ServerId, agent.State.Identity.Registration.ServerId);
        Assert.Null(agent.State.Applied);
    }
}
