using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Protocol.Tests.Tunnel;

[Trait("Category", "Unit")]
public sealed class TunnelMtuTests
{
    [Fact]
    public void Compute_FullSizeLink_GivesOcservsDataMtu()
    {
        // ocserv with a 1500-byte link offers X-CSTP-MTU 1434 (shared/bench/ocserv-netns.md).
        Assert.Equal((1500, 1434), TunnelMtu.Compute(1500, 1500, null, ipv6Transport: false));
    }

    [Fact]
    public void Compute_SmallerClientBaseMtu_Wins()
    {
        Assert.Equal(1300, TunnelMtu.Compute(1500, 1300, null, false).LinkMtu);
    }

    [Fact]
    public void Compute_InsaneClientBaseMtu_IsIgnored()
    {
        Assert.Equal(1500, TunnelMtu.Compute(1500, 100, null, false).LinkMtu);
    }

    [Fact]
    public void Compute_SmallerPathMtu_Wins()
    {
        Assert.Equal(1488, TunnelMtu.Compute(1500, 1500, 1488, false).LinkMtu);
    }

    [Fact]
    public void Compute_IPv6Transport_LeavesRoomForTheLargerHeader()
    {
        Assert.Equal(1414, TunnelMtu.Compute(1500, null, null, ipv6Transport: true).DataMtu);
    }
}
