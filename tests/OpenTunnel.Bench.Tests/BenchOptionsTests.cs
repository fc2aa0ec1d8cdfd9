using OpenTunnel.Bench.Report;

namespace OpenTunnel.Bench.Tests;

[Trait("Category", "Unit")]
public sealed class BenchOptionsTests
{
    [Fact]
    public void Parse_Nothing_GivesTheDocumentedDefaults()
    {
        var options = BenchOptions.Parse([]);

        Assert.Equal(3, options.Rounds);
        Assert.Equal(10, options.DurationSeconds);
        Assert.Equal(20, options.Connects);
        Assert.Equal([Target.OpenTunnel, Target.OpenTunnelNative, Target.Ocserv, Target.Direct], options.Targets);
        Assert.Equal([1000, 10000], options.Sessions);
        Assert.Equal(1000, options.OcservMaxSessions);
        Assert.Null(options.OpenTunnelGateway);
        Assert.Null(options.OpenTunnelClient);
    }

    [Fact]
    public void Parse_OnlyNative_SelectsOpenTunnelsOwnClient_AndTakesItsAssembly()
    {
        var options = BenchOptions.Parse(["--only", "opentunnel-native,opentunnel", "--opentunnel-client", "/x/opentunnel.dll"]);

        Assert.Equal([Target.OpenTunnelNative, Target.OpenTunnel], options.Targets);
        Assert.Equal("/x/opentunnel.dll", options.OpenTunnelClient);
        Assert.Equal("opentunnel-native,opentunnel", options.Describe()["only"]);
    }

    [Fact]
    public void Parse_QuickRun_ReadsEveryOption()
    {
        var options = BenchOptions.Parse(["--rounds", "1", "--duration", "2", "--connects", "0", "--only", "ocserv, direct,ocserv", "--sessions", "10000,100", "--port", "4443"]);

        Assert.Equal(1, options.Rounds);
        Assert.Equal(2, options.DurationSeconds);
        Assert.Equal(0, options.Connects);
        Assert.Equal([Target.Ocserv, Target.Direct], options.Targets);
        Assert.Equal([100, 10000], options.Sessions);
        Assert.Equal(4443, options.Port);
        Assert.Equal("100,10000", options.Describe()["sessions"]);
    }

    [Fact]
    public void Parse_SessionsNone_SkipsTheSessionScale()
    {
        Assert.Empty(BenchOptions.Parse(["--sessions", "none"]).Sessions);
    }

    [Theory]
    [InlineData("--rounds", "51")]
    [InlineData("--duration", "ten")]
    [InlineData("--only", "wireguard")]
    [InlineData("--only", "native")]
    [InlineData("--only", ",")]
    [InlineData("--sessions", "1000,-5")]
    [InlineData("--port", "65536")]
    [InlineData("--bogus", "1")]
    public void Parse_BadValue_NamesTheOption(string name, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => BenchOptions.Parse([name, value]));

        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OptionWithoutValue_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--rounds"]));

        Assert.Contains("Required argument missing for option: '--rounds'", e.Message, StringComparison.Ordinal);
    }
}
