using OpenTunnel.Management.AdminConsole;
using OpenTunnel.Management.AdminConsole.Pages;

namespace OpenTunnel.Management.Tests.AdminConsole;

[Trait("Category", "Unit")]
public sealed class TelemetrySeriesTests
{
    private static readonly DateTime End = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Build_AWeekOfOneSecondSamples_HasAtMostTheIntervalsAndOneLine()
    {
        DateTime from = End.AddDays(-7);
        var builder = new TelemetrySeries.Builder(from, End, 240);
        int added = 0;
        for (DateTime at = from; at <= End; at = at.AddSeconds(1))
        {
            builder.Add(at, (at - from).TotalSeconds % 100);
            added++;
        }

        TelemetrySeries series = builder.Build();

        Assert.Equal(added, series.Samples);
        ChartBucket[] buckets = Assert.Single(series.Segments).ToArray();
        Assert.Equal(240, buckets.Length);
        Assert.Equal(added, buckets.Sum(b => b.Count));
        Assert.Equal(0, series.Min);
        Assert.Equal(99, series.Max);
        Assert.Equal(End, series.Last!.Value.At);
        Assert.All(buckets, b => Assert.InRange(b.Mean, 49, 50));
    }

    [Fact]
    public void Build_AnHourWithoutSamples_IsAGapBetweenTwoLines()
    {
        DateTime from = End.AddDays(-1);
        var builder = new TelemetrySeries.Builder(from, End, 240);
        for (DateTime at = from; at <= End; at = at.AddMinutes(1))
        {
            if (at < End.AddHours(-10) || at >= End.AddHours(-9))
            {
                builder.Add(at, 5);
            }
        }

        TelemetrySeries series = builder.Build();

        Assert.Equal(2, series.Segments.Count);
        Assert.True(series.Segments[0][^1].Last < End.AddHours(-10), "the first line ends before the silent hour");
        Assert.True(series.Segments[1][0].First >= End.AddHours(-9), "the second line starts after the silent hour");
        Assert.Equal(TimeSpan.FromMinutes(6), series.GapAfter);
    }

    [Fact]
    public void Build_OneMinuteSamplesInAnHour_NarrowerIntervalsLeftEmptyAreNoGap()
    {
        // 240 intervals of 15 s over an hour: three of every four are empty at the agent's default interval of 60 s.
        DateTime from = End.AddHours(-1);
        var builder = new TelemetrySeries.Builder(from, End, 240);
        for (DateTime at = from.AddSeconds(7); at <= End; at = at.AddMinutes(1))
        {
            builder.Add(at, 1);
        }

        TelemetrySeries series = builder.Build();

        Assert.Equal(60, Assert.Single(series.Segments).Count);
        Assert.Equal(TimeSpan.FromMinutes(3), series.GapAfter);
    }

    [Fact]
    public void Build_NullValuesAndSamplesOutsideTheRange_AreLeftOut_AndOrderDoesNotMatter()
    {
        DateTime from = End.AddHours(-1);
        var builder = new TelemetrySeries.Builder(from, End, 4);
        builder.Add(End.AddMinutes(-1), 30);
        builder.Add(from.AddMinutes(1), 10);
        builder.Add(from.AddMinutes(-1), 1000);
        builder.Add(End.AddMinutes(1), 1000);
        builder.Add(from.AddMinutes(20), null);
        builder.Add(from.AddMinutes(2), double.NaN);
        builder.Add(from.AddMinutes(2), 20);

        TelemetrySeries series = builder.Build();

        Assert.Equal(3, series.Samples);
        Assert.Equal(10, series.Min);
        Assert.Equal(30, series.Max);
        Assert.Equal(new TimedValue(End.AddMinutes(-1), 30), series.Last);
        ChartBucket first = series.Segments[0][0];
        Assert.Equal((2, 10d, 20d, 15d), (first.Count, first.Min, first.Max, first.Mean));
        Assert.Equal(from.AddMinutes(1), first.First);
        Assert.Equal(from.AddMinutes(2), first.Last);
    }

    [Fact]
    public void Build_NoSamples_HasNoLineAndNoValues()
    {
        TelemetrySeries series = new TelemetrySeries.Builder(End.AddHours(-1), End, 240).Build();

        Assert.Empty(series.Segments);
        Assert.Equal(0, series.Samples);
        Assert.Null(series.Last);
        Assert.Null(series.Max);
    }

    [Fact]
    public void Builder_ARangeThatEndsBeforeItStarts_IsRefusedNamingBothEnds()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new TelemetrySeries.Builder(End, End.AddHours(-1), 240));
        Assert.Contains("2026-12-03 11:00:00Z", e.Message, StringComparison.Ordinal);
        Assert.Contains("2026-12-03 12:00:00Z", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.3, 0.5)]
    [InlineData(1, 1)]
    [InlineData(7, 10)]
    [InlineData(12, 20)]
    [InlineData(4_100_000, 5_000_000)]
    public void NiceCeiling_RoundsUpToOneTwoOrFiveTimesAPowerOfTen(double value, double expected) =>
        Assert.Equal(expected, TelemetryChart.NiceCeiling(value), 9);
}
