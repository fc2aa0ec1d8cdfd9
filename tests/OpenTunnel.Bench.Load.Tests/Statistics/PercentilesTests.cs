using OpenTunnel.Bench.Load.Statistics;

namespace OpenTunnel.Bench.Load.Tests.Statistics;

[Trait("Category", "Unit")]
public sealed class PercentilesTests
{
    [Fact]
    public void Of_EvenCountMedian_IsMeanOfMiddleTwo()
    {
        Assert.Equal(2.5, Percentiles.Of([1, 2, 3, 4], 0.5));
    }

    [Fact]
    public void Of_OddCountMedian_IsMiddleValue()
    {
        Assert.Equal(5, Percentiles.Of([1, 5, 9], 0.5));
    }

    [Fact]
    public void Of_P90_InterpolatesBetweenRanks()
    {
        Assert.Equal(9.1, Percentiles.Of([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.91), 10);
    }

    [Fact]
    public void Of_NoValues_IsZero()
    {
        Assert.Equal(0, Percentiles.Of([], 0.5));
    }

    [Fact]
    public void Of_QuantileOutsideZeroToOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 1.5));
    }
}
