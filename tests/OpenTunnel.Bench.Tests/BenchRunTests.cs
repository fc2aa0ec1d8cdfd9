namespace OpenTunnel.Bench.Tests;

[Trait("Category", "Unit")]
public sealed class BenchRunTests
{
    [Fact]
    public void Rotate_EachRound_StartsWithTheNextTarget()
    {
        string[] targets = ["opentunnel", "ocserv", "direct"];

        Assert.Equal(["opentunnel", "ocserv", "direct"], BenchRun.Rotate(targets, 0));
        Assert.Equal(["ocserv", "direct", "opentunnel"], BenchRun.Rotate(targets, 1));
        Assert.Equal(["direct", "opentunnel", "ocserv"], BenchRun.Rotate(targets, 2));
        Assert.Equal(["opentunnel", "ocserv", "direct"], BenchRun.Rotate(targets, 3));
    }
}
