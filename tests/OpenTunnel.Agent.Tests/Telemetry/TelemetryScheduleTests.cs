using OpenTunnel.Agent.Telemetry;

namespace OpenTunnel.Agent.Tests.Telemetry;

[Trait("Category", "Unit")]
public sealed class TelemetryScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    [Fact]
    public void After_GatewayAnswers_WaitsTheInterval()
    {
        var schedule = new TelemetrySchedule(Interval, Retry);

        Assert.Equal(Interval, schedule.After(gatewayAnswered: true));
        Assert.Equal(Interval, schedule.After(gatewayAnswered: true));
    }

    [Fact]
    public void After_GatewayDown_WaitsTheRetryDoublingUpToTheInterval()
    {
        var schedule = new TelemetrySchedule(Interval, Retry);

        double[] waits = Enumerable.Range(0, 7).Select(_ => schedule.After(gatewayAnswered: false).TotalSeconds).ToArray();

        Assert.Equal([2, 4, 8, 16, 32, 60, 60], waits);
    }

    [Fact]
    public void After_GatewayBackAfterAnOutage_StartsAgainFromTheRetry()
    {
        var schedule = new TelemetrySchedule(Interval, Retry);
        schedule.After(gatewayAnswered: false);
        schedule.After(gatewayAnswered: false);

        Assert.Equal(Interval, schedule.After(gatewayAnswered: true));
        Assert.Equal(Retry, schedule.After(gatewayAnswered: false));
    }
}
