using System.Net;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Tests.Addressing;

[Trait("Category", "Unit")]
public sealed class IPv6AddressPoolTests
{
    [Fact]
    public void TryLease_Slash64_StartsAfterTheGatewayAddress()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/64"));

        Assert.True(pool.TryLease(out Ipv6Number first));
        Assert.True(pool.TryLease(out Ipv6Number second));

        Assert.Equal(IPAddress.Parse("2001:db8:128::2"), first.ToAddress());
        Assert.Equal(IPAddress.Parse("2001:db8:128::3"), second.ToAddress());
        Assert.Equal(IPAddress.Parse("2001:db8:128::1"), pool.GatewayAddress.ToAddress());
        Assert.Equal(IPv6AddressPool.MaxLeases, pool.Capacity);
    }

    [Fact]
    public void TryLease_Slash120_RefusesWhenFullAndLeasesAgainAfterRelease()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/120"));
        var leased = new List<Ipv6Number>();
        while (pool.TryLease(out Ipv6Number address))
        {
            leased.Add(address);
        }

        Assert.Equal(254, leased.Count);
        Assert.Equal(254, leased.Distinct().Count());
        Assert.DoesNotContain(pool.GatewayAddress, leased);
        pool.Release(leased[10]);
        Assert.True(pool.TryLease(out Ipv6Number again));
        Assert.Equal(leased[10], again);
    }

    [Fact]
    public void Contains_AddressOutsideTheNetwork_IsFalse()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/64"));

        Assert.True(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::abcd"))));
        Assert.False(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:127::1"))));
        Assert.False(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:129::1"))));
    }

    [Fact]
    public void Contains_Slash120_ChecksTheLowerHalfsNetworkBitsToo()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::100/120"));

        Assert.True(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::1ff"))));
        Assert.False(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::200"))));
        Assert.False(pool.Contains(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::ff"))));
    }

    [Fact]
    public void TryLeaseAddress_OnlyLeasesFreeAddressesInTheLeasableRange()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::100/120"));

        Assert.True(pool.TryLease(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::105"))));
        Assert.False(pool.TryLease(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::105"))));
        Assert.False(pool.TryLease(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::101"))));
        Assert.False(pool.TryLease(Ipv6Number.Of(IPAddress.Parse("2001:db8:128::ff"))));
        Assert.False(pool.TryLease(Ipv6Number.Of(IPAddress.Parse("2001:db8:129::105"))));
    }
}
