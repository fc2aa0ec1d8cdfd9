using OpenTunnel.Bench.Measurements;

namespace OpenTunnel.Bench.Tests.Measurements;

[Trait("Category", "Unit")]
public sealed class PingResultTests
{
    [Fact]
    public void Parse_IputilsSummary_ReadsRttAndLoss()
    {
        const string output = """
            PING 198.18.2.10 (198.18.2.10) 56(84) bytes of data.

            --- 198.18.2.10 ping statistics ---
            50 packets transmitted, 49 received, 2% packet loss, time 2456ms
            rtt min/avg/max/mdev = 0.252/0.264/0.275/0.054 ms
            """;

        var result = PingResult.Parse(output);

        Assert.Equal(new PingResult(0.252, 0.264, 0.275, 0.054, 2), result);
    }

    [Fact]
    public void Parse_NoReply_ThrowsWithPingsOutput()
    {
        const string output = "--- 198.18.2.10 ping statistics ---\n5 packets transmitted, 0 received, 100% packet loss, time 4080ms";

        var e = Assert.Throws<FormatException>(() => PingResult.Parse(output));

        Assert.Contains("100% packet loss", e.Message, StringComparison.Ordinal);
    }
}
