using System.Globalization;

namespace OpenTunnel.Bench.Report;

/// <summary>One check of the native client's goal: the figure, its value and whether it met the goal (null: no figure).</summary>
/// <param name="What">What is checked, as the report says it.</param>
/// <param name="Key">The figure's key.</param>
/// <param name="Value">The native client's median (Mbit/s), or the ratio native/openconnect of the medians.</param>
/// <param name="Goal">The goal, as the report says it.</param>
/// <param name="Met">Whether <paramref name="Value"/> meets the goal; null when the run has no figure for it.</param>
internal sealed record GoalCheck(string What, string Key, double? Value, string Goal, bool? Met);

/// <summary>
/// The goal OpenTunnel's own client is measured against: at least 3 Gbit/s up and down over DTLS
/// on the 2-core benchmark machine, and less client CPU per GB and a shorter connect to the first
/// packet than openconnect against the same gateway (ratios native/openconnect below 1).
/// </summary>
internal static class NativeGoal
{
    public const double DtlsMegabitsPerSecond = 3000;

    /// <summary>The checks, or none when the run did not measure the native client.</summary>
    public static IReadOnlyList<GoalCheck> Evaluate(ResultSet results)
    {
        if (!results.Has(Target.OpenTunnelNative))
        {
            return [];
        }

        return
        [
            Throughput(results, "native client DTLS upload", Figures.DtlsUpload),
            Throughput(results, "native client DTLS download", Figures.DtlsDownload),
            Below(results, "client CPU per GB, DTLS, native/openconnect", Figures.DtlsClientCpu),
            Below(results, "client CPU per GB, TLS only, native/openconnect", Figures.TlsClientCpu),
            Below(results, "connect to the first packet, native/openconnect", Figures.Connect),
        ];
    }

    /// <summary>A check as one line of the report: "goal: native client DTLS upload 3120 Mbit/s (at least 3000 Mbit/s): met".</summary>
    public static string Line(GoalCheck check)
    {
        string value = check.Value is { } v
            ? (check.Key.EndsWith("upload", StringComparison.Ordinal) || check.Key.EndsWith("download", StringComparison.Ordinal)
                ? ResultTable.Format(v) + " Mbit/s"
                : v.ToString("0.00", CultureInfo.InvariantCulture))
            : "–";
        string verdict = check.Met switch
        {
            true => "met",
            false => "not met",
            null => "not measured",
        };
        return $"goal: {check.What} {value} ({check.Goal}): {verdict}";
    }

    private static GoalCheck Throughput(ResultSet results, string what, Figure figure)
    {
        double? median = results.Get(figure, Target.OpenTunnelNative)?.Median;
        return new GoalCheck(what, figure.Key, median, $"at least {DtlsMegabitsPerSecond:0} Mbit/s", median is null ? null : median >= DtlsMegabitsPerSecond);
    }

    private static GoalCheck Below(ResultSet results, string what, Figure figure)
    {
        double? ratio = results.Ratio(figure, Target.OpenTunnelNative, Target.OpenTunnel);
        return new GoalCheck(what, figure.Key, ratio, "below 1", ratio is null ? null : ratio < 1);
    }
}
