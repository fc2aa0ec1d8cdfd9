namespace OpenTunnel.Architecture.Tests;

[Trait("Category", "Unit")]
public sealed class FolderGraphTests
{
    [Fact]
    public void Cycles_ChainOfLayers_FindsNone()
    {
        var graph = new FolderGraph();
        graph.Add("Hosting", "Api", "Hosting/Host.cs");
        graph.Add("Api", "Data", "Api/Endpoints.cs");
        graph.Add("Hosting", "Data", "Hosting/Host.cs");

        Assert.Empty(graph.Cycles());
    }

    [Fact]
    public void Cycles_TwoFoldersUsingEachOther_NamesBothArrowsWithAFile()
    {
        var graph = new FolderGraph();
        graph.Add("Link", "Identity", "Link/ManagementLink.cs");
        graph.Add("Identity", "Link", "Identity/Renewer.cs");
        graph.Add("Identity", "Link", "Identity/A.cs");

        var cycle = Assert.Single(graph.Cycles());

        Assert.Equal([("Identity", "Link", "Identity/A.cs"), ("Link", "Identity", "Link/ManagementLink.cs")], cycle);
    }

    [Fact]
    public void Cycles_TwoSeparateKnots_ReportsOneCycleEach()
    {
        var graph = new FolderGraph();
        graph.Add("A", "B", "A/x.cs");
        graph.Add("B", "C", "B/x.cs");
        graph.Add("C", "A", "C/x.cs");
        graph.Add("C", "D", "C/x.cs");
        graph.Add("D", "E", "D/x.cs");
        graph.Add("E", "D", "E/x.cs");

        var cycles = graph.Cycles();

        Assert.Equal(2, cycles.Count);
        Assert.Equal(["A", "B", "C"], cycles[0].Select(arrow => arrow.From));
        Assert.Equal(["D", "E"], cycles[1].Select(arrow => arrow.From));
    }

    [Fact]
    public void Add_ArrowToItself_IsNoCycle()
    {
        var graph = new FolderGraph();
        graph.Add("Api", "Api", "Api/x.cs");

        Assert.Empty(graph.Cycles());
    }
}
