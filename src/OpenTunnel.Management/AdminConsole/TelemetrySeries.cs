namespace OpenTunnel.Management.AdminConsole;

/// <summary>One stored value of one metric at the time its sample was taken; null when the agent could not read it.</summary>
public readonly record struct TimedValue(DateTime At, double? Value);

/// <summary>The samples that fell into one interval of a chart: their extremes, mean, and the first and last sample times.</summary>
public sealed record ChartBucket(DateTime Start, DateTime End, int Count, double Min, double Max, double Mean, DateTime First, DateTime Last)
{
    public DateTime Middle => Start + ((End - Start) / 2);
}

/// <summary>
/// A metric over [<see cref="From"/>, <see cref="To"/>] reduced to at most a fixed number of
/// intervals of <see cref="Interval"/> each. <see cref="Segments"/> are the runs of intervals drawn as one line: a new one starts
/// where no sample came for longer than <see cref="GapAfter"/>, so a silent agent shows as a gap.
/// </summary>
public sealed record TelemetrySeries(
    DateTime From,
    DateTime To,
    TimeSpan Interval,
    IReadOnlyList<IReadOnlyList<ChartBucket>> Segments,
    int Samples,
    double? Min,
    double? Max,
    TimedValue? Last,
    TimeSpan GapAfter)
{
    /// <summary>
    /// Reduces samples (added in any order) between <c>from</c> and <c>to</c> to at most a fixed
    /// number of buckets of equal width, in one pass and with memory for the buckets only, so a week
    /// of one-second samples costs what an hour of them does. Samples outside the range and values
    /// that are null are left out. Two neighbouring buckets are joined unless the time between the
    /// last sample of the one and the first of the next is longer than three times the typical
    /// spacing of the samples (the median) and longer than one bucket.
    /// </summary>
    public sealed class Builder
    {
        private readonly DateTime _from;
        private readonly DateTime _to;
        private readonly Accumulator?[] _accumulators;
        private readonly long _width;
        private int _count;
        private double? _min;
        private double? _max;
        private TimedValue? _last;

        public Builder(DateTime from, DateTime to, int intervals)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(intervals, 1);
            if (to <= from)
            {
                throw new ArgumentException($"The range ends at {to:u}, not after its start {from:u}.", nameof(to));
            }

            _from = from;
            _to = to;
            _accumulators = new Accumulator?[intervals];
            _width = (to - from).Ticks;
        }

        public void Add(DateTime at, double? value)
        {
            if (value is not { } v || double.IsNaN(v) || at < _from || at > _to)
            {
                return;
            }

            int intervals = _accumulators.Length;
            int index = (int)Math.Min(intervals - 1, (at - _from).Ticks * intervals / _width);
            (_accumulators[index] ??= new Accumulator(at)).Add(at, v);
            _count++;
            _min = _min is { } m ? Math.Min(m, v) : v;
            _max = _max is { } x ? Math.Max(x, v) : v;
            if (_last is not { } previous || at >= previous.At)
            {
                _last = new TimedValue(at, v);
            }
        }

        public TelemetrySeries Build()
        {
            int intervals = _accumulators.Length;
            var buckets = new List<ChartBucket>();
            for (int i = 0; i < intervals; i++)
            {
                if (_accumulators[i] is { } a)
                {
                    buckets.Add(new ChartBucket(_from + TimeSpan.FromTicks(_width * i / intervals), _from + TimeSpan.FromTicks(_width * (i + 1) / intervals), a.Count, a.Min, a.Max, a.Sum / a.Count, a.First, a.Last));
                }
            }

            var interval = TimeSpan.FromTicks(_width / intervals);
            TimeSpan gapAfter = GapThreshold(buckets, interval);
            var segments = new List<IReadOnlyList<ChartBucket>>();
            List<ChartBucket>? current = null;
            for (int i = 0; i < buckets.Count; i++)
            {
                if (current is null || buckets[i].First - buckets[i - 1].Last > gapAfter)
                {
                    current = [];
                    segments.Add(current);
                }

                current.Add(buckets[i]);
            }

            return new TelemetrySeries(_from, _to, interval, segments, _count, _min, _max, _last, gapAfter);
        }
    }

    /// <summary>
    /// Three times the median spacing of the samples, estimated from the buckets (the mean spacing
    /// inside each, and the spacing between neighbours), and at least one bucket's width: the agent's
    /// interval is its own setting (TelemetryIntervalSeconds, 1 s to 1 h), so it is read from the data.
    /// </summary>
    private static TimeSpan GapThreshold(List<ChartBucket> buckets, TimeSpan bucketWidth)
    {
        var spacings = new List<long>(buckets.Count * 2);
        for (int i = 0; i < buckets.Count; i++)
        {
            if (buckets[i].Count > 1)
            {
                spacings.Add((buckets[i].Last - buckets[i].First).Ticks / (buckets[i].Count - 1));
            }

            if (i > 0)
            {
                spacings.Add((buckets[i].First - buckets[i - 1].Last).Ticks);
            }
        }

        if (spacings.Count == 0)
        {
            return bucketWidth;
        }

        spacings.Sort();
        return TimeSpan.FromTicks(Math.Max(3 * spacings[spacings.Count / 2], bucketWidth.Ticks));
    }

    private sealed class Accumulator(DateTime at)
    {
        public int Count { get; private set; }

        public double Min { get; private set; } = double.MaxValue;

        public double Max { get; private set; } = double.MinValue;

        public double Sum { get; private set; }

        public DateTime First { get; private set; } = at;

        public DateTime Last { get; private set; } = at;

        public void Add(DateTime at, double value)
        {
            Count++;
            Sum += value;
            Min = Math.Min(Min, value);
            Max = Math.Max(Max, value);
            First = at < First ? at : First;
            Last = at > Last ? at : Last;
        }
    }
}
