using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>The renewal loop against the real management service.</summary>
[Trait("Category", "Integration")]
public sealed class RenewalLoopTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task CertificateDue_IsRenewedStoredAndPresentedByTheLink()
    {
        // 100 %: renewal is due as soon as any of the lifetime has passed.
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture, renewWhenRemainingPercent: 100);
        string before = agent.State.Identity.Certificate.SerialNumber;

        await agent.StartAsync<RenewalLoop>();

        Assert.True(
            await AgentUnderTest.WithinAsync(30, () => Task.FromResult(agent.State.Identity.Certificate.SerialNumber != before)),
            "The certificate was not renewed.");
        string renewed = agent.State.Identity.Certificate.SerialNumber;
        using (AgentIdentity stored = agent.Get<AgentIdentityStore>().Load())
        {
            Assert.Equal(renewed, stored.Certificate.SerialNumber);
        }

        AgentPoll? poll = await agent.Get<ManagementLink>().PollAsync(null, false, 1, CancellationToken.None);
        Assert.NotNull(poll?.Configuration);
    }
}
