using OpenTunnel.Bench.Load.Statistics;

namespace OpenTunnel.Bench.Report;

/// <summary>Median, minimum and maximum of one figure's samples for one target.</summary>
internal sealed record Summary(double Median, double Min, double Max, IReadOnlyList<double> Samples)
{
    public static Summary? Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        double[] sorted = [.. samples.Order()];
        return new Summary(Percentiles.Of(sorted, 0.5), sorted[0], sorted[^1], samples);
    }
}

/// <summary>
/// Every sample of a run, by figure and target, with what failed and what the reader must know
/// (notes). The table and the JSON are both made from it.
/// </summary>
internal sealed class ResultSet
{
    private readonly Dictionary<(string Key, Target Target), List<double>> _samples = [];
    private readonly List<Figure> _scaleFigures = [];
    private readonly List<string> _errors = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<string> Errors => _errors;

    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Every figure that has samples, in table order (fixed figures, then the session scale by count).</summary>
    public IReadOnlyList<Figure> Figures
    {
        get
        {
            var figures = new List<Figure>();
            foreach (var figure in Report.Figures.Fixed.Concat(_scaleFigures))
            {
                if (HasAny(figure))
                {
                    figures.Add(figure);
                }
            }

            return figures;
        }
    }

    public void Add(Figure figure, Target target, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return;
        }

        if (figure.Key.StartsWith("scale.", StringComparison.Ordinal) && !_scaleFigures.Contains(figure))
        {
            _scaleFigures.Add(figure);
        }

        var key = (figure.Key, target);
        if (!_samples.TryGetValue(key, out var list))
        {
            _samples[key] = list = [];
        }

        list.Add(value);
    }

    public void AddError(string error) => _errors.Add(error);

    public void AddNote(string note)
    {
        if (!_notes.Contains(note))
        {
            _notes.Add(note);
        }
    }

    public Summary? Get(string key, Target target) =>
        _samples.TryGetValue((key, target), out var list) ? Summary.Of(list) : null;

    /// <summary>The target's own summary; for the direct target, the summary of the figure's direct counterpart.</summary>
    public Summary? Get(Figure figure, Target target) =>
        target == Target.Direct ? (figure.DirectKey is null ? null : Get(figure.DirectKey, Target.Direct)) : Get(figure.Key, target);

    /// <summary>median(OpenTunnel) / median(other), or null when either is missing or the other is 0.</summary>
    public double? Ratio(Figure figure, Target other) => Ratio(figure, Target.OpenTunnel, other);

    /// <summary>median(<paramref name="target"/>) / median(<paramref name="other"/>), or null when either is missing or the other is 0.</summary>
    public double? Ratio(Figure figure, Target target, Target other)
    {
        var a = Get(figure, target);
        var b = Get(figure, other);
        return a is null || b is null || b.Median == 0 ? null : a.Median / b.Median;
    }

    /// <summary>Whether any figure has a sample of <paramref name="target"/>.</summary>
    public bool Has(Target target) => _samples.Keys.Any(k => k.Target == target);

    private bool HasAny(Figure figure) => Enum.GetValues<Target>().Any(t => Get(figure, t) is not null);
}
