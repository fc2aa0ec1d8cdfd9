using System.Net;
using OpenTunnel.Gateway.Addressing;

namespace OpenTunnel.Gateway.Tests.Addressing;

[Trait("Category", "Unit")]
public sealed class IPv6AddressPoolTests
{
    [Fact]
    public void TryLease_Slash64_StartsAfterTheGatewayAddress()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/64"));

        Assert.True(pool.TryLease(out UInt128 first));
        Assert.True(pool.TryLease(out UInt128 second));

        Assert.Equal(IPAddress.Parse("2001:db8:128::2"), IPv6AddressPool.ToAddress(first));
        Assert.Equal(IPAddress.Parse("2001:db8:128::3"), IPv6AddressPool.ToAddress(second));
        Assert.Equal(IPAddress.Parse("2001:db8:128::1"), IPv6AddressPool.ToAddress(pool.GatewayAddress));
        Assert.Equal(IPv6AddressPool.MaxLeases, pool.Capacity);
    }

    [Fact]
    public void TryLease_Slash120_RefusesWhenFullAndLeasesAgainAfterRelease()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/120"));
        var leased = new List<UInt128>();
        while (pool.TryLease(out UInt128 address))
        {
            leased.Add(address);
        }

        Assert.Equal(254, leased.Count);
        Assert.Equal(254, leased.Distinct().Count());
        Assert.DoesNotContain(pool.GatewayAddress, leased);
        pool.Release(leased[10]);
        Assert.True(pool.TryLease(out UInt128 again));
        Assert.Equal(leased[10], again);
    }

    [Fact]
    public void Contains_AddressOutsideTheNetwork_IsFalse()
    {
        var pool = new IPv6AddressPool(IPNetwork.Parse("2001:db8:128::/64"));

        Assert.True(pool.Contains(IPv6AddressPool.ToUInt128(IPAddress.Parse("2001:db8:128::abcd"))));
        Assert.False(pool.Contains(IPv6AddressPool.ToUInt128(IPAddress.Parse("2001:db8:127::1"))));
        Assert.False(pool.Contains(IPv6AddressPool.ToUInt128(IPAddress.Parse("2001:db8:129::1"))));
    }
}
