using System.Net;
using OpenTunnel.Gateway.Addressing;

namespace OpenTunnel.Gateway.Tests.Addressing;

[Trait("Category", "Unit")]
public sealed class IPv4AddressPoolTests
{
    [Fact]
    public void TryLease_Slash30_GivesTheOneClientAddressThenRefuses()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/30"));

        Assert.True(pool.TryLease(out uint first));
        Assert.False(pool.TryLease(out _));
        Assert.Equal(IPAddress.Parse("198.18.128.2"), IPv4AddressPool.ToAddress(first));
        Assert.Equal(1, pool.Capacity);
    }

    [Fact]
    public void TryLeaseAddress_FreeAddress_IsLeasedOnce_ReservedOrOutsideIsRefused()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/24"));
        uint address = IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.128.77"));

        Assert.True(pool.TryLease(address));
        Assert.False(pool.TryLease(address));
        Assert.False(pool.TryLease(pool.GatewayAddress));
        Assert.False(pool.TryLease(IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.129.2"))));
        Assert.Equal(1, pool.LeasedCount);
        pool.Release(address);
        Assert.Equal(0, pool.LeasedCount);
    }

    [Fact]
    public void TryLease_WholeSlash24_NeverGivesNetworkBroadcastOrGatewayAddress()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/24"));
        var leased = new HashSet<uint>();
        while (pool.TryLease(out uint address))
        {
            Assert.True(leased.Add(address));
        }

        Assert.Equal(253, leased.Count);
        Assert.DoesNotContain(IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.128.0")), leased);
        Assert.DoesNotContain(IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.128.1")), leased);
        Assert.DoesNotContain(IPv4AddressPool.ToUInt32(IPAddress.Parse("198.18.128.255")), leased);
        Assert.Equal(IPAddress.Parse("198.18.128.1"), IPv4AddressPool.ToAddress(pool.GatewayAddress));
    }

    [Fact]
    public void TryLease_DefaultLinkLocalPool_NeverGivesTheCloudServicesOrTheFirstAndLastSlash24()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("169.254.0.0/16"));
        int leased = 0;
        while (pool.TryLease(out uint address))
        {
            leased++;
            byte third = IPv4AddressPool.ToAddress(address).GetAddressBytes()[2];
            Assert.True(third is not (0 or 169 or 255), $"leased {IPv4AddressPool.ToAddress(address)}");
        }

        Assert.Equal(65536 - (3 * 256), leased);
        Assert.Equal(leased, pool.Capacity);
        Assert.True(pool.IsReserved(IPv4AddressPool.ToUInt32(IPAddress.Parse("169.254.169.254"))));
    }

    [Fact]
    public void TryLease_SmallerLinkLocalPool_NeverGivesItsOwnFirstAndLastSlash24()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("169.254.16.0/22"));
        var thirds = new HashSet<byte>();
        while (pool.TryLease(out uint address))
        {
            thirds.Add(IPv4AddressPool.ToAddress(address).GetAddressBytes()[2]);
        }

        Assert.Equal(new byte[] { 17, 18 }, thirds.Order());
        Assert.Equal(512, pool.Capacity);
    }

    [Fact]
    public void Release_ReservedAddress_DoesNotMakeItLeasable()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("169.254.168.0/22"));
        uint metadata = IPv4AddressPool.ToUInt32(IPAddress.Parse("169.254.169.254"));

        pool.Release(metadata);

        while (pool.TryLease(out uint address))
        {
            Assert.NotEqual(metadata, address);
        }
    }

    [Fact]
    public void Capacity_PoolOutsideLinkLocal_ReservesOnlyNetworkGatewayAndBroadcast()
    {
        Assert.Equal(65536 - 3, new IPv4AddressPool(IPNetwork.Parse("198.18.0.0/16")).Capacity);
    }

    [Fact]
    public void Release_LeasedAddress_CanBeLeasedAgain()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/30"));
        pool.TryLease(out uint address);

        pool.Release(address);

        Assert.Equal(0, pool.LeasedCount);
        Assert.True(pool.TryLease(out uint again));
        Assert.Equal(address, again);
    }

    [Fact]
    public void Release_ReservedOrForeignAddress_IsIgnored()
    {
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/30"));

        pool.Release(pool.GatewayAddress);
        pool.Release(IPv4AddressPool.ToUInt32(IPAddress.Parse("10.0.0.1")));

        Assert.True(pool.TryLease(out _));
        Assert.False(pool.TryLease(out _));
    }

    [Fact]
    public void TryLease_AfterRelease_MovesOnBeforeReusing()
    {
        // Handing out the next free address rather than the one just freed keeps a departed
        // client's address out of use for as long as the pool allows.
        var pool = new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/29"));
        pool.TryLease(out uint first);
        pool.Release(first);

        pool.TryLease(out uint second);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Constructor_Slash31_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new IPv4AddressPool(IPNetwork.Parse("198.18.128.0/31")));
    }
}
