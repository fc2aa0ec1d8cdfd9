using System.Text.Json;
using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests.Report;

[Trait("Category", "Unit")]
public sealed class ResultsDocumentTests
{
    [Fact]
    public void Render_HasDateMachineVersionsAndEachFiguresSummaries()
    {
        var results = new ResultSet();
        results.Add(Figures.DtlsPing, Target.Ocserv, 0.264);
        results.Add(Figures.DtlsPing, Target.OpenTunnel, 0.2);
        results.Add(Figures.DirectPing, Target.Direct, 0.074);

        using var json = JsonDocument.Parse(ResultsDocument.Render(results, ResultTableTests.Info));

        var root = json.RootElement;
        Assert.Equal("2026-11-28T19:42:00+00:00", root.GetProperty("date").GetString());
        Assert.Equal(2, root.GetProperty("machine").GetProperty("cores").GetInt32());
        Assert.Equal("6.18.44", root.GetProperty("machine").GetProperty("kernel").GetString());
        Assert.Equal("ocserv 1.1.6", root.GetProperty("versions").GetProperty("ocserv").GetString());
        var figure = root.GetProperty("figures")[0];
        Assert.Equal("dtls.ping", figure.GetProperty("key").GetString());
        Assert.False(figure.GetProperty("higher_is_better").GetBoolean());
        Assert.Equal(0.264, figure.GetProperty("ocserv").GetProperty("median").GetDouble());
        Assert.Equal(0.074, figure.GetProperty("direct").GetProperty("median").GetDouble());
        Assert.Equal(0.2 / 0.264, figure.GetProperty("ratio_opentunnel_ocserv").GetDouble(), 10);
    }

    [Fact]
    public void Write_CreatesTheFolderAndADatedFile()
    {
        string folder = Path.Combine(Path.GetTempPath(), "opentunnel-results-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = ResultsDocument.Write(folder, new ResultSet(), ResultTableTests.Info);

            Assert.Equal(Path.Combine(folder, "bench-20261128T194200Z.json"), path);
            Assert.Equal(2, JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("machine").GetProperty("cores").GetInt32());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
