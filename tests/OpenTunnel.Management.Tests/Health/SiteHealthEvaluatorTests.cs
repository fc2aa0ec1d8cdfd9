using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;

namespace OpenTunnel.Management.Tests.Health;

[Trait("Category", "Unit")]
public sealed class SiteHealthEvaluatorTests
{
    [Fact]
    public void Evaluate_NoServers_IsUnknown() => Assert.Equal(ServerHealth.Unknown, SiteHealthEvaluator.Evaluate([]).State);

    [Fact]
    public void Evaluate_SomeServersNotHealthy_IsAWarningNamingThem()
    {
        SiteHealthReport report = SiteHealthEvaluator.Evaluate([Server("gw-a", ServerHealth.Healthy), Server("gw-b", ServerHealth.Unhealthy)]);

        Assert.Equal(ServerHealth.Warning, report.State);
        Assert.Equal("1 of 2 servers are not healthy: gw-b (unhealthy).", report.Reason);
    }

    [Fact]
    public void Evaluate_NoServerHealthy_IsUnhealthy() =>
        Assert.Equal(ServerHealth.Unhealthy, SiteHealthEvaluator.Evaluate([Server("gw-a", ServerHealth.Warning), Server("gw-b", ServerHealth.Unknown)]).State);

    [Fact]
    public void Evaluate_AllHealthy_IsHealthy() =>
        Assert.Equal(ServerHealth.Healthy, SiteHealthEvaluator.Evaluate([Server("gw-a", ServerHealth.Healthy)]).State);

    private static SiteServerHealth Server(string name, ServerHealth state) => new(Guid.NewGuid(), name, state, []);
}
