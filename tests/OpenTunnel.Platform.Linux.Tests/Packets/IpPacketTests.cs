using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class IpPacketTests
{
    // An ICMP echo request 198.18.1.2 -> 198.18.2.10, 28 bytes.
    private static readonly byte[] Ipv4Echo =
    [
        0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
        198, 18, 1, 2, 198, 18, 2, 10,
        0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
    ];

    [Fact]
    public void TryReadIpv4_ValidPacket_ReturnsAddressesAndProtocol()
    {
        Assert.True(IpPacket.TryReadIpv4(Ipv4Echo, out var header));
        Assert.Equal(0xC6120102u, header.Source);
        Assert.Equal(0xC612020Au, header.Destination);
        Assert.Equal(1, header.Protocol);
        Assert.Equal(20, header.HeaderLength);
        Assert.Equal(28, header.TotalLength);
        Assert.Equal(64, header.TimeToLive);
    }

    [Fact]
    public void TryReadIpv4_TotalLengthBeyondBytes_ReturnsFalse()
    {
        byte[] truncated = Ipv4Echo[..24];
        Assert.False(IpPacket.TryReadIpv4(truncated, out _));
    }

    [Fact]
    public void TryReadIpv4_HeaderLengthBelowMinimum_ReturnsFalse()
    {
        byte[] bad = (byte[])Ipv4Echo.Clone();
        bad[0] = 0x44;
        Assert.False(IpPacket.TryReadIpv4(bad, out _));
    }

    [Fact]
    public void TryReadIpv4_Ipv6Packet_ReturnsFalse()
    {
        byte[] v6 = new byte[40];
        v6[0] = 0x60;
        Assert.False(IpPacket.TryReadIpv4(v6, out _));
        Assert.Equal(6, IpPacket.Version(v6));
    }

    [Fact]
    public void TryReadIpv6_ValidHeader_ReturnsAddresses()
    {
        byte[] v6 = new byte[48];
        v6[0] = 0x60;
        v6[5] = 8; // payload length
        v6[6] = 58; // ICMPv6
        v6[7] = 64;
        v6[8] = 0x20; v6[9] = 0x01; v6[10] = 0x0d; v6[11] = 0xb8; v6[23] = 2;
        v6[24] = 0x20; v6[25] = 0x01; v6[26] = 0x0d; v6[27] = 0xb8; v6[39] = 1;

        Assert.True(IpPacket.TryReadIpv6(v6, out var header));
        Assert.Equal(58, header.NextHeader);
        Assert.Equal(8, header.PayloadLength);
        Assert.Equal(new Ipv6Number(0x20010DB800000000, 2), header.Source);
        Assert.Equal(new Ipv6Number(0x20010DB800000000, 1), header.Destination);
    }

    [Fact]
    public void TryReadIpv6_PayloadBeyondBytes_ReturnsFalse()
    {
        byte[] v6 = new byte[40];
        v6[0] = 0x60;
        v6[5] = 8;
        Assert.False(IpPacket.TryReadIpv6(v6, out _));
    }

    [Fact]
    public void Version_EmptyPacket_IsZero() => Assert.Equal(0, IpPacket.Version([]));
}
