using OpenTunnel.Bench.Report;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Tests.Report;

/// <summary>The plots drawn from the stored results of bench/results/ (real JSON documents, real files).</summary>
[Trait("Category", "Unit")]
public sealed class ResultPlotsTests
{
    private static readonly string Results = Path.Combine(Checkout.Root(), "bench", "results");

    [Fact]
    public void WriteHistory_StoredRuns_DrawsThroughputPingAndCpuAsSvgAndPng_LabelledByCommit()
    {
        using var directory = new TemporaryDirectory();
        foreach (string file in Directory.EnumerateFiles(Results, "bench-*.json"))
        {
            File.Copy(file, Path.Combine(directory.Path, Path.GetFileName(file)));
        }

        IReadOnlyList<string> written = ResultPlots.WriteHistory(directory.Path);

        Assert.Equal(
            ["history-throughput.svg", "history-throughput.png", "history-ping.svg", "history-ping.png", "history-cpu-per-gb.svg", "history-cpu-per-gb.png"],
            written.Select(Path.GetFileName));
        string svg = File.ReadAllText(written[0]);
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.Contains("5325871", svg, StringComparison.Ordinal);
        Assert.Contains("c577ee7", svg, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(written[1])[..4]);
    }

    [Fact]
    public void WriteRun_DrawsTheRunBesideItsJson()
    {
        using var directory = new TemporaryDirectory();
        string document = Path.Combine(directory.Path, "bench-20261203T062324Z.json");
        File.Copy(Path.Combine(Results, "bench-20261203T062324Z.json"), document);

        IReadOnlyList<string> written = ResultPlots.WriteRun(document);

        Assert.Equal([Path.ChangeExtension(document, ".svg"), Path.ChangeExtension(document, ".png")], written);
        Assert.Contains("commit 5325871", File.ReadAllText(written[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRun_WithTheNativeClient_DrawsItsBarsAndLegend()
    {
        using var directory = new TemporaryDirectory();
        var results = new ResultSet();
        results.Add(Figures.DtlsUpload, Target.OpenTunnel, 1000);
        results.Add(Figures.DtlsUpload, Target.OpenTunnelNative, 3100);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 500);
        string document = ResultsDocument.Write(directory.Path, results, ResultTableTests.Info);

        IReadOnlyList<string> written = ResultPlots.WriteRun(document);
        IReadOnlyList<string> history = ResultPlots.WriteHistory(directory.Path);

        Assert.Contains("OpenTunnel native client", File.ReadAllText(written[0]), StringComparison.Ordinal);
        Assert.Contains("OpenTunnel native client", File.ReadAllText(history[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteHistory_NoDocument_DrawsNothing()
    {
        using var directory = new TemporaryDirectory();

        Assert.Empty(ResultPlots.WriteHistory(directory.Path));
    }
}
