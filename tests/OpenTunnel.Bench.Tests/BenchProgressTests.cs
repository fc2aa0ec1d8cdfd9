using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests;

[Trait("Category", "Unit")]
public sealed class BenchProgressTests
{
    [Fact]
    public void Begin_CountsStepsAndEstimatesTheTimeLeftPerKindOfStep()
    {
        var clock = new ManualClock();
        var progress = new BenchProgress(roundSteps: 4, scaleSteps: 1, clock);

        string first = progress.Begin("round 1/2: opentunnel", scale: false);
        clock.Advance(TimeSpan.FromSeconds(30));
        progress.End();
        string second = progress.Begin("round 1/2: ocserv", scale: false);
        clock.Advance(TimeSpan.FromSeconds(50));
        progress.End();
        TimeSpan? beforeScale = progress.Remaining();

        Assert.Equal("[step 1/5, 0 s elapsed] round 1/2: opentunnel", first);
        // 3 round steps of 30 s each, and the scale step (none measured yet) as ten of them: 390 s.
        Assert.Equal("[step 2/5, 30 s elapsed, about 6 min 30 s left] round 1/2: ocserv", second);
        Assert.Equal(TimeSpan.FromSeconds((2 * 40) + 400), beforeScale);
    }

    [Fact]
    public void Format_SecondsBelowAMinute_MinutesAbove() =>
        Assert.Equal(["45 s", "1 min 5 s", "125 min 0 s"], new[] { 45, 65, 7500 }.Select(s => BenchProgress.Format(TimeSpan.FromSeconds(s))));

    [Fact]
    public void ScalePlan_RotatesServers_AndStopsOcservAtItsMaximumOnce()
    {
        var plan = BenchRun.ScalePlan([Target.OpenTunnel, Target.Ocserv], [1000, 10000], 1000);

        Assert.Equal([(Target.OpenTunnel, 1000), (Target.Ocserv, 1000), (Target.OpenTunnel, 10000)], plan);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
