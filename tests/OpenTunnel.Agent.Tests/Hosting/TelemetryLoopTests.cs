using System.Text.Json;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>The telemetry loop against the real management service, its gateway absent.</summary>
[Trait("Category", "Integration")]
public sealed class TelemetryLoopTests(SqliteManagementServer fixture) : IClassFixture<SqliteManagementServer>
{
    [Fact]
    public async Task Started_SamplesReachTheServiceWithTheGatewayError()
    {
        await using AgentUnderTest agent = await AgentUnderTest.EnrolAsync(fixture);

        await agent.StartAsync<TelemetryLoop>();

        JsonElement samples = default;
        Assert.True(
            await AgentUnderTest.WithinAsync(30, async () =>
            {
                samples = await fixture.Server.GetAsync($"/api/v1/servers/{agent.Enrolled.ServerId}/telemetry");
                return samples.GetArrayLength() > 0;
            }),
            "No telemetry sample reached the service.");
        Assert.Contains("no-gateway.sock", samples[0].GetRawText(), StringComparison.Ordinal);
    }
}
