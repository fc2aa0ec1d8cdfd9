using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>The follow loop against the real management service, its gateway absent.</summary>
[Trait("Category", "Integration")]
public sealed class FollowLoopTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task ServerSetToDrain_TheLoopTakesTheDrainState()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);
        await agent.StartAsync<FollowLoop>();
        Assert.False(agent.State.Draining);

        await fixture.Server.Api.PutAsync($"/api/v1/servers/{agent.Enrolled.ServerId}", new { name = agent.Enrolled.Identity.Registration.ServerName, drain = true });

        Assert.True(await AgentUnderTest.WithinAsync(30, () => Task.FromResult(agent.State.Draining)), "The agent did not take the drain the service asked for.");
    }

    [Fact]
    public async Task GatewayFileMissing_TheRefusalIsReportedToTheService()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);

        await agent.StartAsync<FollowLoop>();

        Assert.True(
            await AgentUnderTest.WithinAsync(30, () => Task.FromResult(fixture.Server.Logged("no-gateway.json"))),
            "The service never heard that the configuration could not be applied.");
        Assert.Null(agent.State.Applied);
    }
}
