using OpenTunnel.Gateway.Dtls;

namespace OpenTunnel.Gateway.Tests.Dtls;

[Trait("Category", "Unit")]
public sealed class DtlsMtuTests
{
    [Theory]
    // ocserv: DATA_MTU = link MTU - (37 + 1) - (IP + UDP headers).
    [InlineData(1400, false, 1334)]
    [InlineData(1500, false, 1434)]
    [InlineData(1400, true, 1314)]
    public void DataMtu_LinkMtu_SubtractsIpUdpDtlsAndCstpOverhead(int link, bool ipv6, int expected)
    {
        Assert.Equal(expected, DtlsMtu.DataMtu(link, ipv6));
    }

    [Fact]
    public void DataMtu_LinkTooSmall_ThrowsNamingTheOverhead()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DtlsMtu.DataMtu(66, ipv6: false));

        Assert.Contains("66", error.Message, StringComparison.Ordinal);
    }
}
