using System.Globalization;
using System.Text;

namespace OpenTunnel.Bench.Report;

/// <summary>
/// The result table on stdout: each figure's median and min–max for OpenTunnel, ocserv and the
/// direct path, and the ratios OpenTunnel/ocserv and OpenTunnel/direct (plain ratios of the
/// medians: above 1 means OpenTunnel's figure is larger, which is better for throughput only).
/// When the run measured OpenTunnel's own client, its column and the ratio native/openconnect
/// (both against the OpenTunnel gateway) come in, and the goal lines below the table.
/// </summary>
internal static class ResultTable
{
    public static string Render(ResultSet results, RunInfo info)
    {
        var text = new StringBuilder();
        var m = info.Machine;
        text.AppendLine(CultureInfo.InvariantCulture, $"OpenTunnel benchmark, {info.Started:yyyy-MM-dd HH:mm} UTC, {info.DurationSeconds / 60:0.0} min");
        text.AppendLine(CultureInfo.InvariantCulture, $"machine: {m.Cores} cores ({m.CpuModel}), {m.MemoryGib:0.#} GiB, kernel {m.Kernel}, {m.OperatingSystem}");
        text.AppendLine("versions: " + string.Join("; ", info.Versions.Select(v => $"{v.Key} {v.Value}")));
        text.AppendLine("options: " + string.Join(" ", info.Options.Select(o => $"{o.Key}={o.Value}")));
        text.AppendLine();

        bool native = results.Has(Target.OpenTunnelNative);
        string[] header = native
            ? ["figure", "unit", "OpenTunnel", "OT native client", "ocserv", "direct", "OT/ocserv", "OT/direct", "native/openconnect"]
            : ["figure", "unit", "OpenTunnel", "ocserv", "direct", "OT/ocserv", "OT/direct"];
        var rows = new List<string[]> { header };
        foreach (var figure in results.Figures)
        {
            var row = new List<string> { figure.Label, figure.Unit, Cell(results.Get(figure, Target.OpenTunnel)) };
            if (native)
            {
                row.Add(Cell(results.Get(figure, Target.OpenTunnelNative)));
            }

            row.AddRange(
            [
                Cell(results.Get(figure, Target.Ocserv)),
                Cell(results.Get(figure, Target.Direct)),
                Ratio(results.Ratio(figure, Target.Ocserv)),
                Ratio(results.Ratio(figure, Target.Direct)),
            ]);
            if (native)
            {
                row.Add(Ratio(results.Ratio(figure, Target.OpenTunnelNative, Target.OpenTunnel)));
            }

            rows.Add([.. row]);
        }

        int[] widths = new int[header.Length];
        foreach (var row in rows)
        {
            for (int i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        for (int r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]));
            text.AppendLine("| " + string.Join(" | ", cells) + " |");
            if (r == 0)
            {
                text.AppendLine("|" + string.Join("|", widths.Select((w, i) => i < 2 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
            }
        }

        text.AppendLine();
        text.AppendLine("Cells: median (min–max) over the rounds. Ratios are median/median; above 1 means OpenTunnel's value is larger (better for Mbit/s, sessions and rate; worse for ms, CPU and KiB).");
        if (native)
        {
            text.AppendLine("OpenTunnel is openconnect against the OpenTunnel gateway; OT native client is OpenTunnel's own client against the same gateway; native/openconnect is the ratio of the two.");
        }

        foreach (var check in NativeGoal.Evaluate(results))
        {
            text.AppendLine(NativeGoal.Line(check));
        }

        foreach (string note in results.Notes)
        {
            text.AppendLine("note: " + note);
        }

        foreach (string error in results.Errors)
        {
            text.AppendLine("error: " + error);
        }

        return text.ToString();
    }

    internal static string Format(double value) => value switch
    {
        0 => "0",
        _ when Math.Abs(value) >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 1 => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };

    private static string Cell(Summary? summary) => summary switch
    {
        null => "–",
        { Samples.Count: 1 } => Format(summary.Median),
        _ => $"{Format(summary.Median)} ({Format(summary.Min)}–{Format(summary.Max)})",
    };

    private static string Ratio(double? ratio) => ratio is null ? "–" : ratio.Value.ToString("0.00", CultureInfo.InvariantCulture);
}
