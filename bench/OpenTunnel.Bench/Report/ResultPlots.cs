using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace OpenTunnel.Bench.Report;

/// <summary>
/// Plots (ScottPlot, each as SVG and PNG) drawn from the JSON documents of bench/results/: the
/// throughput of one run, OpenTunnel (openconnect, then OpenTunnel's own client, when measured)
/// beside ocserv, written beside its JSON; and the history of every run in the folder, one point
/// per run labelled with its commit: throughput, ping and CPU per GB, OpenTunnel with thick lines
/// and filled circles, OpenTunnel's own client with thick lines and filled diamonds, ocserv with
/// thin lines and open squares (not dashes: Skia's SVG output draws no dash pattern).
/// </summary>
internal static class ResultPlots
{
    private const int Width = 1000;
    private const int Height = 520;

    private static readonly string[] Throughput = ["dtls.upload", "dtls.download", "dtls.parallel4", "tls.upload", "tls.download", "tls.parallel4"];

    /// <summary>The history plots' names and figures.</summary>
    private static readonly (string Name, string Title, string Unit, string[] Keys)[] History =
    [
        ("history-throughput", "Throughput per run", "Mbit/s", ["dtls.upload", "dtls.download", "tls.upload", "tls.download"]),
        ("history-ping", "Ping through the tunnel per run", "ms", ["dtls.ping", "tls.ping", "dtls.ping_after_transfers", "tls.ping_after_transfers"]),
        ("history-cpu-per-gb", "CPU per GB through the tunnel per run", "CPU s/GB", ["dtls.cpu_per_gb", "tls.cpu_per_gb", "dtls.client_cpu_per_gb", "tls.client_cpu_per_gb"]),
    ];

    /// <summary>The targets the plots draw, with the legend's name, bar colour and history line style.</summary>
    private static readonly (string Target, string Legend, Color Color, float Width, MarkerShape Marker)[] Targets =
    [
        ("opentunnel", "OpenTunnel", Colors.C0, 2.5f, MarkerShape.FilledCircle),
        ("opentunnel-native", "OpenTunnel native client", Colors.C2, 2.5f, MarkerShape.FilledDiamond),
        ("ocserv", "ocserv", Colors.C1, 1f, MarkerShape.OpenSquare),
    ];

    /// <summary>Writes the plot of the run in <paramref name="document"/> beside it (bench-TIME.svg and .png) and returns the paths.</summary>
    public static IReadOnlyList<string> WriteRun(string document)
    {
        Run run = Run.Read(document);
        var plot = new Plot();
        var ticks = new List<Tick>();
        var drawn = Targets.Where(t => Throughput.Any(key => run.Median(key, t.Target) is not null)).ToList();
        int group = drawn.Count + 1;
        for (int i = 0; i < Throughput.Length; i++)
        {
            string key = Throughput[i];
            ticks.Add(new Tick(i * group + (drawn.Count - 1) / 2.0, run.Labels.GetValueOrDefault(key, key).Replace(", ", "\n", StringComparison.Ordinal)));
            for (int offset = 0; offset < drawn.Count; offset++)
            {
                if (run.Median(key, drawn[offset].Target) is { } value)
                {
                    var bar = plot.Add.Bar(i * group + offset, value);
                    bar.Color = drawn[offset].Color;
                }
            }
        }

        foreach (var target in drawn)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = target.Legend, FillColor = target.Color });
        }

        plot.ShowLegend(Edge.Right);
        plot.Axes.Bottom.SetTicks([.. ticks.Select(t => t.Position)], [.. ticks.Select(t => t.Label)]);
        plot.Axes.Bottom.MinimumSize = 50;
        plot.Axes.Margins(bottom: 0);
        plot.Title($"Throughput, {run.Date:yyyy-MM-dd HH:mm} UTC, commit {run.Commit}");
        plot.YLabel("Mbit/s (median of the rounds)");
        return Save(plot, Path.ChangeExtension(document, null));
    }

    /// <summary>Writes the history plots of every bench-*.json in <paramref name="folder"/> into it and returns the paths; none without a document.</summary>
    public static IReadOnlyList<string> WriteHistory(string folder)
    {
        List<Run> runs = [.. Directory.EnumerateFiles(folder, "bench-*.json").Order(StringComparer.Ordinal).Select(Run.Read)];
        if (runs.Count == 0)
        {
            return [];
        }

        var written = new List<string>();
        double[] xs = [.. Enumerable.Range(0, runs.Count).Select(i => (double)i)];
        foreach ((string name, string title, string unit, string[] keys) in History)
        {
            var plot = new Plot();
            for (int k = 0; k < keys.Length; k++)
            {
                foreach ((string target, string suffix, _, float width, MarkerShape marker) in Targets)
                {
                    double[] ys = [.. runs.Select(r => r.Median(keys[k], target) ?? double.NaN)];
                    if (ys.All(double.IsNaN))
                    {
                        continue;
                    }

                    var line = plot.Add.Scatter(xs, ys, Colors.Category10[k]);
                    line.LineWidth = width;
                    line.MarkerShape = marker;
                    line.MarkerSize = 7;
                    line.LegendText = $"{runs[^1].Labels.GetValueOrDefault(keys[k], keys[k])}, {suffix}";
                }
            }

            plot.Axes.Bottom.SetTicks(xs, [.. runs.Select(r => $"{r.Commit}\n{r.Date:MM-dd}")]);
            plot.Axes.Bottom.MinimumSize = 50;
            plot.ShowLegend(Edge.Right);
            plot.Title(title);
            plot.YLabel(unit);
            written.AddRange(Save(plot, Path.Combine(folder, name)));
        }

        return written;
    }

    private static string[] Save(Plot plot, string pathWithoutExtension)
    {
        string svg = pathWithoutExtension + ".svg";
        string png = pathWithoutExtension + ".png";
        plot.SaveSvg(svg, Width, Height);
        plot.SavePng(png, Width, Height);
        return [svg, png];
    }

    private readonly record struct Tick(double Position, string Label);

    /// <summary>What a plot takes from one JSON document: its date, commit, figure labels and medians.</summary>
    private sealed record Run(DateTimeOffset Date, string Commit, Dictionary<string, string> Labels, Dictionary<(string Key, string Target), double> Medians)
    {
        public double? Median(string key, string target) => Medians.TryGetValue((key, target), out double value) ? value : null;

        public static Run Read(string path)
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = document.RootElement;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var medians = new Dictionary<(string, string), double>();
            foreach (JsonElement figure in root.GetProperty("figures").EnumerateArray())
            {
                string key = figure.GetProperty("key").GetString()!;
                labels[key] = figure.GetProperty("label").GetString()!;
                foreach (string target in new[] { "opentunnel", "opentunnel-native", "ocserv", "direct" })
                {
                    if (figure.TryGetProperty(target, out JsonElement summary) && summary.ValueKind == JsonValueKind.Object)
                    {
                        medians[(key, target)] = summary.GetProperty("median").GetDouble();
                    }
                }
            }

            string commit = root.GetProperty("versions").TryGetProperty("opentunnel", out JsonElement version) ? version.GetString()! : "?";
            return new Run(DateTimeOffset.Parse(root.GetProperty("date").GetString()!, CultureInfo.InvariantCulture), commit, labels, medians);
        }
    }
}
