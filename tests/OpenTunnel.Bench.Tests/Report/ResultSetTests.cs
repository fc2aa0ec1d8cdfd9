using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests.Report;

[Trait("Category", "Unit")]
public sealed class ResultSetTests
{
    [Fact]
    public void Get_ThreeRounds_GivesMedianMinMaxAndSamplesInOrder()
    {
        var results = new ResultSet();
        results.Add(Figures.DtlsUpload, Target.Ocserv, 900);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 850);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 870);

        var summary = results.Get(Figures.DtlsUpload, Target.Ocserv);

        Assert.NotNull(summary);
        Assert.Equal(870, summary.Median);
        Assert.Equal(850, summary.Min);
        Assert.Equal(900, summary.Max);
        Assert.Equal([900.0, 850, 870], summary.Samples);
    }

    [Fact]
    public void Get_DirectTarget_UsesTheFiguresDirectCounterpart()
    {
        var results = new ResultSet();
        results.Add(Figures.DirectUpload, Target.Direct, 18000);

        Assert.Equal(18000, results.Get(Figures.TlsUpload, Target.Direct)!.Median);
        Assert.Equal(18000, results.Get(Figures.DtlsUpload, Target.Direct)!.Median);
        Assert.Null(results.Get(Figures.Connect, Target.Direct));
    }

    [Fact]
    public void Ratio_OfMedians_AndNullWhenASideIsMissing()
    {
        var results = new ResultSet();
        results.Add(Figures.DtlsUpload, Target.OpenTunnel, 1000);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 800);

        Assert.Equal(1.25, results.Ratio(Figures.DtlsUpload, Target.Ocserv));
        Assert.Null(results.Ratio(Figures.DtlsUpload, Target.Direct));
        Assert.Null(results.Ratio(Figures.TlsUpload, Target.Ocserv));
    }

    [Fact]
    public void Add_NaNOrInfinity_IsNotASample()
    {
        var results = new ResultSet();

        results.Add(Figures.Connect, Target.Ocserv, double.NaN);
        results.Add(Figures.Connect, Target.Ocserv, double.PositiveInfinity);

        Assert.Null(results.Get(Figures.Connect, Target.Ocserv));
        Assert.Empty(results.Figures);
    }

    [Fact]
    public void Figures_FixedFiguresFirstThenScaleInTheOrderAdded()
    {
        var results = new ResultSet();
        results.Add(Figures.Scale(1000).SignInRate, Target.Ocserv, 50);
        results.Add(Figures.Scale(10000).SignInRate, Target.OpenTunnel, 500);
        results.Add(Figures.Connect, Target.Ocserv, 33);
        results.Add(Figures.DtlsUpload, Target.Ocserv, 860);

        Assert.Equal(
            ["dtls.upload", "connect", "scale.1000.sign_in_rate", "scale.10000.sign_in_rate"],
            results.Figures.Select(f => f.Key));
    }

    [Fact]
    public void AddNote_SameNoteTwice_IsKeptOnce()
    {
        var results = new ResultSet();

        results.AddNote("ocserv capped");
        results.AddNote("ocserv capped");

        Assert.Single(results.Notes);
    }
}
