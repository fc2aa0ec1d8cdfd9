using OpenTunnel.Bench.Measurements;

namespace OpenTunnel.Bench.Tests.Measurements;

[Trait("Category", "Unit")]
public sealed class IperfResultTests
{
    [Fact]
    public void Parse_Report_ReadsReceiverSideAndRetransmits()
    {
        const string json = """
            {"start":{},"intervals":[],"end":{
              "sum_sent":{"bytes":1100000000,"bits_per_second":880000000.0,"retransmits":85000},
              "sum_received":{"bytes":1078250000,"bits_per_second":862600000.0}}}
            """;

        var result = IperfResult.Parse(json);

        Assert.Equal(862.6, result.MegabitsPerSecond, 6);
        Assert.Equal(1078250000, result.Bytes);
        Assert.Equal(85000, result.Retransmits);
    }

    [Fact]
    public void Parse_ErrorReport_ThrowsWithIperfsMessage()
    {
        var e = Assert.Throws<FormatException>(() => IperfResult.Parse("""{"start":{},"error":"unable to connect to server: Connection refused"}"""));

        Assert.Contains("Connection refused", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("iperf3: error - unable to connect")]
    [InlineData("""{"end":{}}""")]
    public void Parse_NoUsableReport_ThrowsFormatException(string output)
    {
        Assert.Throws<FormatException>(() => IperfResult.Parse(output));
    }
}
