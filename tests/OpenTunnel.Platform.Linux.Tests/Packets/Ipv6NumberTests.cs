using System.Net;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tests.Packets;

[Trait("Category", "Unit")]
public sealed class Ipv6NumberTests
{
    [Fact]
    public void Of_SplitsTheAddressIntoBigEndianHalves()
    {
        var number = Ipv6Number.Of(IPAddress.Parse("2001:db8:1:2:3:4:5:6"));

        Assert.Equal(new Ipv6Number(0x20010DB800010002, 0x0003000400050006), number);
        Assert.Equal(IPAddress.Parse("2001:db8:1:2:3:4:5:6"), number.ToAddress());
        Assert.Equal("2001:db8:1:2:3:4:5:6", number.ToString());
    }

    [Fact]
    public void Read_AndWrite_RoundTripTheNetworkOrderBytes()
    {
        byte[] bytes = IPAddress.Parse("fe80::1:ff").GetAddressBytes();
        var written = new byte[Ipv6Number.Length];

        Ipv6Number.Read(bytes).Write(written);

        Assert.Equal(bytes, written);
    }

    [Fact]
    public void Of_IPv4Address_IsRefusedByName()
    {
        var refusal = Assert.Throws<ArgumentException>(() => Ipv6Number.Of(IPAddress.Parse("198.18.0.1")));

        Assert.Contains("'198.18.0.1' is not an IPv6 address", refusal.Message);
    }

    [Fact]
    public void ToAddressOrNull_NullForZeroOnly()
    {
        Assert.Null(Ipv6Number.Zero.ToAddressOrNull());
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Ipv6Number.Of(IPAddress.Parse("2001:db8::1")).ToAddressOrNull());
    }

    [Fact]
    public void Zero_IsTheUnspecifiedAddress()
    {
        Assert.Equal(IPAddress.IPv6Any, Ipv6Number.Zero.ToAddress());
        Assert.NotEqual(Ipv6Number.Zero, new Ipv6Number(0, 1));
    }
}
