using OpenTunnel.Agent.Link;

namespace OpenTunnel.Agent.Tests.Link;

[Trait("Category", "Unit")]
public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(60);

    [Fact]
    public void Next_CeilingDoublesFromTheFirstUpToTheMaximum()
    {
        var backoff = new ReconnectBackoff(First, Maximum, new FixedDraw(1.0));

        double[] waits = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds).ToArray();

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60], waits);
    }

    [Fact]
    public void Next_LowestDraw_WaitsHalfTheCeiling_NeverLess()
    {
        var backoff = new ReconnectBackoff(First, Maximum, new FixedDraw(0.0));

        double[] waits = Enumerable.Range(0, 7).Select(_ => backoff.Next().TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], waits);
    }

    [Fact]
    public void Next_EveryWait_LiesBetweenHalfTheCeilingAndTheCeiling()
    {
        var backoff = new ReconnectBackoff(First, Maximum, new Random(7));
        for (int i = 0; i < 1000; i++)
        {
            if (i % 10 == 0)
            {
                backoff.Reset();
            }

            TimeSpan ceiling = backoff.Ceiling;
            TimeSpan wait = backoff.Next();

            Assert.InRange(wait, ceiling / 2, ceiling);
        }
    }

    [Fact]
    public void Reset_AfterFailures_StartsAgainAtTheFirstCeilingAndSaysThereWereFailures()
    {
        var backoff = new ReconnectBackoff(First, Maximum, new FixedDraw(1.0));
        Assert.False(backoff.Reset());
        backoff.Next();
        backoff.Next();

        Assert.True(backoff.Reset());
        Assert.Equal(First, backoff.Ceiling);
        Assert.Equal(First, backoff.Next());
        Assert.True(backoff.Reset());
        Assert.False(backoff.Reset());
    }

    /// <summary>
    /// A thousand agents losing the service at the same moment: after each failure their next
    /// attempts spread over half the ceiling, and once the ceiling has reached 60 s no second holds
    /// more than a few percent of them (without jitter every agent would return in the same second).
    /// </summary>
    [Fact]
    public void ManyAgentsFailingTogether_ReturnSpreadOverSeconds()
    {
        const int Agents = 1000;
        var agents = Enumerable.Range(0, Agents).Select(seed => new ReconnectBackoff(First, Maximum, new Random(seed))).ToArray();
        var elapsed = new double[Agents];

        for (int failure = 0; failure < 7; failure++)
        {
            for (int a = 0; a < Agents; a++)
            {
                elapsed[a] += agents[a].Next().TotalSeconds;
            }

            int busiestSecond = elapsed.GroupBy(Math.Floor).Max(g => g.Count());
            int allowed = failure == 0 ? Agents : Agents / Math.Min(1 << failure, 30) * 3;
            Assert.True(busiestSecond <= allowed, $"after failure {failure + 1}, {busiestSecond} of {Agents} agents return in one second (at most {allowed} expected)");
        }

        Assert.True(elapsed.GroupBy(Math.Floor).Max(g => g.Count()) <= Agents / 20, "after seven failures the agents still return bunched together");
    }

    [Fact]
    public void Create_FirstNotPositiveOrMaximumBelowFirst_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.Zero, Maximum, Random.Shared));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(First, TimeSpan.FromSeconds(1), Random.Shared));
    }

    /// <summary>Every draw is the same number in [0, 1].</summary>
    private sealed class FixedDraw(double draw) : Random
    {
        public override double NextDouble() => draw;
    }
}
