using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OpenTunnel.Gateway.Metrics;

/// <summary>
/// Collects the gateway meter's measurements with a <see cref="MeterListener"/> and writes them in
/// the Prometheus text format (version 0.0.4): dots become underscores, counters get
/// <c>_total</c>, a histogram in seconds gets <c>_seconds</c> with cumulative buckets.
/// </summary>
public sealed class PrometheusExposition : IDisposable
{
    private static readonly double[] BucketBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, Series> _series = new(StringComparer.Ordinal);

    /// <summary>Exposes the instruments of <paramref name="meter"/> (this gateway's, not another instance's of the same name).</summary>
    public PrometheusExposition(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The current values of every instrument, as a Prometheus scrape answer.</summary>
    public string Collect()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder(2048);
        lock (_gate)
        {
            string? lastName = null;
            foreach (var series in _series.Values)
            {
                if (series.Name != lastName)
                {
                    text.Append("# HELP ").Append(series.Name).Append(' ').Append(series.Help).Append('\n');
                    text.Append("# TYPE ").Append(series.Name).Append(' ').Append(series.Type).Append('\n');
                    lastName = series.Name;
                }

                series.WriteTo(text);
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = Labels(tags);
        bool histogram = instrument is Histogram<double>;
        bool monotonic = instrument is Counter<long> or ObservableCounter<long>;
        string name = PrometheusName(instrument, monotonic);
        lock (_gate)
        {
            string key = name + labels;
            if (!_series.TryGetValue(key, out var series))
            {
                series = new Series(name, labels, instrument.Description ?? instrument.Name, histogram ? "histogram" : monotonic ? "counter" : "gauge");
                _series[key] = series;
            }

            if (histogram)
            {
                series.Observe(value);
            }
            else if (instrument.IsObservable)
            {
                series.Value = value;
            }
            else
            {
                series.Value += value;
            }
        }
    }

    private static string PrometheusName(Instrument instrument, bool monotonic)
    {
        string name = instrument.Name.Replace('.', '_');
        string unit = instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => string.Empty,
        };
        if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
        {
            name += unit;
        }

        return monotonic ? name + "_total" : name;
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var pairs = new List<string>(tags.Length);
        foreach (var tag in tags)
        {
            string value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            pairs.Add($"{tag.Key}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', pairs) + "}";
    }

    private sealed class Series(string name, string labels, string help, string type)
    {
        private readonly long[] _buckets = new long[BucketBounds.Length];
        private long _count;
        private double _sum;

        public string Name { get; } = name;

        public string Help { get; } = help;

        public string Type { get; } = type;

        public double Value { get; set; }

        public void Observe(double value)
        {
            _count++;
            _sum += value;
            for (int i = 0; i < BucketBounds.Length; i++)
            {
                if (value <= BucketBounds[i])
                {
                    _buckets[i]++;
                }
            }
        }

        public void WriteTo(StringBuilder text)
        {
            if (Type != "histogram")
            {
                text.Append(Name).Append(labels).Append(' ').Append(Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                return;
            }

            string inner = labels.Length == 0 ? string.Empty : labels[1..^1] + ",";
            for (int i = 0; i < BucketBounds.Length; i++)
            {
                text.Append(Name).Append("_bucket{").Append(inner).Append("le=\"").Append(BucketBounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ")
                    .Append(_buckets[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append(Name).Append("_bucket{").Append(inner).Append("le=\"+Inf\"} ").Append(_count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(Name).Append("_sum").Append(labels).Append(' ').Append(_sum.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append(Name).Append("_count").Append(labels).Append(' ').Append(_count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
