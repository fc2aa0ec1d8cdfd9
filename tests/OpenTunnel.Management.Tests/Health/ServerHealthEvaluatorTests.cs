using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;

namespace OpenTunnel.Management.Tests.Health;

[Trait("Category", "Unit")]
public sealed class ServerHealthEvaluatorTests
{
    private static readonly DateTime Now = new(2026, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Evaluate_NeverCheckedIn_IsUnknown()
    {
        ServerHealthReport report = ServerHealthEvaluator.Default.Evaluate(new HealthInput(null, null, null, new HealthThresholds(), Now));

        Assert.Equal(ServerHealth.Unknown, report.State);
        Assert.Equal("The agent has not sent telemetry yet.", Assert.Single(report.Reasons));
    }

    [Fact]
    public void Evaluate_AllWithinLimits_IsHealthyWithoutReasons()
    {
        ServerHealthReport report = Evaluate(Sample());

        Assert.Equal(ServerHealth.Healthy, report.State);
        Assert.Empty(report.Reasons);
        Assert.Contains(report.Checks, c => c.Name == "cpu" && c.State == ServerHealth.Healthy);
    }

    [Fact]
    public void Evaluate_WorstCheckWins_AndEveryNotHealthyCheckIsAReason()
    {
        ServerHealthReport report = Evaluate(Sample() with { CpuPercent = 97, InternalUrlReachable = false, InternalUrlError = "timed out" });

        Assert.Equal(ServerHealth.Unhealthy, report.State);
        Assert.Equal(2, report.Reasons.Count);
        Assert.Contains(report.Reasons, r => r.StartsWith("CPU use (5-minute average) is 97 %", StringComparison.Ordinal));
        Assert.Contains(report.Reasons, r => r.Contains("timed out", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(95.0, ServerHealth.Healthy)]
    [InlineData(96.0, ServerHealth.Warning)]
    [InlineData(99.9, ServerHealth.Warning)]
    [InlineData(100.0, ServerHealth.Unhealthy)]
    public void UsagePolicy_Memory_FollowsMicrosoftTunnelsBands(double percent, ServerHealth expected) =>
        Assert.Equal(expected, UsagePolicy.Memory.Evaluate(Input(Sample() with { MemoryPercent = percent }))!.State);

    [Theory]
    [InlineData(31, ServerHealth.Healthy)]
    [InlineData(30, ServerHealth.Warning)]
    [InlineData(1, ServerHealth.Warning)]
    [InlineData(-1, ServerHealth.Unhealthy)]
    public void CertificateExpiryPolicy_DaysLeft_GiveTheState(int days, ServerHealth expected) =>
        Assert.Equal(expected, CertificateExpiryPolicy.Tls.Evaluate(Input(Sample() with { TlsCertificateNotAfter = Now.AddDays(days) }))!.State);

    [Theory]
    [InlineData(9.9, ServerHealth.Healthy)]
    [InlineData(10.0, ServerHealth.Warning)]
    [InlineData(20.0, ServerHealth.Warning)]
    [InlineData(20.1, ServerHealth.Unhealthy)]
    public void LatencyPolicy_Milliseconds_GiveTheState(double milliseconds, ServerHealth expected) =>
        Assert.Equal(expected, new LatencyPolicy().Evaluate(Input(Sample() with { LatencyMilliseconds = milliseconds }))!.State);

    [Fact]
    public void CheckInPolicy_OlderThanTheLimit_IsUnhealthyNamingTheLimit()
    {
        HealthCheck check = new CheckInPolicy().Evaluate(new HealthInput(Sample(), Now.AddMinutes(-6), null, new HealthThresholds(), Now))!;

        Assert.Equal(ServerHealth.Unhealthy, check.State);
        Assert.Contains("No check-in for 6 minutes (the limit is 5)", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionLimitPolicy_WithoutMaximum_HasNothingToJudge_AndAboveItIsUnhealthy()
    {
        Assert.Null(new SessionLimitPolicy().Evaluate(Input(Sample() with { ActiveSessions = 5000 })));

        HealthCheck check = new SessionLimitPolicy().Evaluate(Input(Sample() with { ActiveSessions = 11 }, new HealthThresholds { MaximumSessions = 10 }))!;

        Assert.Equal(ServerHealth.Unhealthy, check.State);
    }

    [Fact]
    public void ConfigurationPolicy_RefusedAfterApplied_IsAWarningWithTheReason()
    {
        var status = new AgentStatus { AppliedConfigurationETag = "1.1.a", AppliedAt = Now.AddMinutes(-5), RefusedConfigurationETag = "2.1.b", RefusedAt = Now, RefusalReason = "bad DNS" };
        var appliedSince = new AgentStatus { AppliedConfigurationETag = "3.1.c", AppliedAt = Now.AddMinutes(1), RefusedConfigurationETag = "2.1.b", RefusedAt = Now, RefusalReason = "bad DNS" };

        HealthCheck check = new ConfigurationPolicy().Evaluate(new HealthInput(Sample(), Now, status, new HealthThresholds(), Now))!;
        HealthCheck later = new ConfigurationPolicy().Evaluate(new HealthInput(Sample(), Now, appliedSince, new HealthThresholds(), Now))!;

        Assert.Equal(ServerHealth.Warning, check.State);
        Assert.Contains("refused configuration 2.1.b", check.Reason, StringComparison.Ordinal);
        Assert.Contains("it still runs 1.1.a", check.Reason, StringComparison.Ordinal);
        Assert.Equal(ServerHealth.Healthy, later.State);
    }

    [Fact]
    public void GatewayPolicy_GatewayError_IsUnhealthy() =>
        Assert.Equal(ServerHealth.Unhealthy, new GatewayPolicy().Evaluate(Input(Sample() with { GatewayError = "connection refused" }))!.State);

    [Fact]
    public void Policies_ValueNotReported_HaveNothingToJudge()
    {
        TelemetrySample empty = Sample() with { CpuPercent = null, LatencyMilliseconds = null, InternalUrlReachable = null, TlsCertificateNotAfter = null };

        Assert.Null(UsagePolicy.Cpu.Evaluate(Input(empty)));
        Assert.Null(new LatencyPolicy().Evaluate(Input(empty)));
        Assert.Null(new InternalUrlPolicy().Evaluate(Input(empty)));
        Assert.Null(CertificateExpiryPolicy.Tls.Evaluate(Input(empty)));
    }

    private static ServerHealthReport Evaluate(TelemetrySample sample) => ServerHealthEvaluator.Default.Evaluate(Input(sample));

    private static HealthInput Input(TelemetrySample sample, HealthThresholds? thresholds = null) =>
        new(sample, Now.AddSeconds(-30), null, thresholds ?? new HealthThresholds(), Now);

    private static TelemetrySample Sample() => new(
        1, Now, 20, 40, 8L << 30, 10L << 30, 4, 3, 100, 100, 2, Now.AddDays(200), Now.AddDays(80), "0.1.0", "1.1.a", true, Now, null, false, null);
}
