namespace OpenTunnel.Bench.Load.Statistics;

/// <summary>Percentiles by linear interpolation between closest ranks (the median of an even count is the mean of the middle two).</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="p"/>-quantile (0–1) of <paramref name="sorted"/>, which must be in ascending order; 0 for no values.</summary>
    public static double Of(IReadOnlyList<double> sorted, double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1);
        if (sorted.Count == 0)
        {
            return 0;
        }

        double rank = p * (sorted.Count - 1);
        int low = (int)Math.Floor(rank);
        int high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
