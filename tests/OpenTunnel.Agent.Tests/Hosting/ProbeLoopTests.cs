using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>The probe loop checking a real HTTP server (the management service's own health endpoint).</summary>
[Trait("Category", "Integration")]
public sealed class ProbeLoopTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task AppliedConfigurationWithProbeUrl_RecordsAReachableProbe()
    {
        string url = new Uri(fixture.Server.Admin.BaseAddress!, "/healthz").ToString();
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture, probeUrl: url);
        AgentPoll? poll = await agent.Enrolled.Link.PollAsync(null, false, 1, CancellationToken.None);
        EffectiveConfiguration configuration = poll!.Configuration!;

        await agent.StartAsync<ProbeLoop>();
        Assert.Null(agent.State.LastProbe);
        agent.State.Applied = new AppliedConfiguration(configuration.ETag, configuration.ServerConfigurationVersion, DateTime.UtcNow, configuration);

        Assert.True(await AgentUnderTest.WithinAsync(15, () => Task.FromResult(agent.State.LastProbe is not null)), "The probe never ran.");
        Assert.True(agent.State.LastProbe!.Reachable, agent.State.LastProbe.Error);
    }

    [Fact]
    public async Task NoProbeUrl_RecordsNothing()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);

        await agent.StartAsync<ProbeLoop>();
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.Null(agent.State.ProbeUrl);
        Assert.Null(agent.State.LastProbe);
    }
}
