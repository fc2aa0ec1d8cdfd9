using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests.Report;

[Trait("Category", "Unit")]
public sealed class ResultTableTests
{
    internal static RunInfo Info => new(
        new DateTimeOffset(2026, 11, 28, 19, 42, 0, TimeSpan.Zero),
        420,
        new MachineInfo(2, "AMD EPYC", 23.5, "6.18.44", "Debian GNU/Linux 12 (bookworm)"),
        new Dictionary<string, string> { ["ocserv"] = "ocserv 1.1.6" },
        new Dictionary<string, string> { ["rounds"] = "3" });

    [Fact]
    public void Render_Figures_ShowMedianRangeDirectAndRatios()
    {
        var results = new ResultSet();
        foreach (double v in new[] { 1000.0, 950, 1100 })
        {
            results.Add(Figures.DtlsUpload, Target.OpenTunnel, v);
        }

        foreach (double v in new[] { 862.6, 855.7, 872.6 })
        {
            results.Add(Figures.DtlsUpload, Target.Ocserv, v);
        }

        results.Add(Figures.DirectUpload, Target.Direct, 18230);
        results.AddError("round 2, opentunnel: boom");
        results.AddNote("a note");

        string table = ResultTable.Render(results, Info);

        Assert.Equal(["Upload, DTLS", "Mbit/s", "1000 (950–1100)", "863 (856–873)", "18230", "1.16", "0.05"], Row(table, "Upload, DTLS"));
        Assert.Contains("error: round 2, opentunnel: boom", table, StringComparison.Ordinal);
        Assert.Contains("note: a note", table, StringComparison.Ordinal);
        Assert.Contains("2 cores", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MissingTarget_ShowsDashAndNoRatio()
    {
        var results = new ResultSet();
        results.Add(Figures.Connect, Target.Ocserv, 33);

        string table = ResultTable.Render(results, Info);

        Assert.Equal(["Sign-in + connect until a ping passes (median)", "ms", "–", "33.0", "–", "–", "–"], Row(table, "Sign-in"));
    }

    private static string[] Row(string table, string label) =>
        [.. table.Split('\n').Single(l => l.StartsWith("| " + label, StringComparison.Ordinal)).Trim().Trim('|').Split('|').Select(c => c.Trim())];

    [Theory]
    [InlineData(18230.4, "18230")]
    [InlineData(33.04, "33.0")]
    [InlineData(1.234, "1.23")]
    [InlineData(0.2641, "0.264")]
    [InlineData(0, "0")]
    public void Format_KeepsThreeSignificantDigitsOrWholeNumbers(double value, string expected)
    {
        Assert.Equal(expected, ResultTable.Format(value));
    }
}
