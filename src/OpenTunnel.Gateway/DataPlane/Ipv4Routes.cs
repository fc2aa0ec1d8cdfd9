using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.DataPlane;

/// <summary>
/// The session that holds each leased address of the IPv4 pool, found with two array reads per
/// packet: the pool's addresses in pages of 256, a page made when the first address in it is
/// routed. Lookups take no lock; changes to the pages take one. A table of its own rather than a
/// framework dictionary: ahead-of-time compilation covers this class, while a generic dictionary
/// over the gateway's types is compiled by the JIT at the first packet after a start.
/// </summary>
internal sealed class Ipv4Routes
{
    private const int PageBits = 8;
    private const int PageSize = 1 << PageBits;
    private const uint InPage = PageSize - 1;

    private readonly uint _network;
    private readonly uint _size;
    private readonly GatewaySession?[]?[] _pages;
    private readonly Lock _paging = new();

    /// <summary>Routes for the addresses of <paramref name="pool"/>.</summary>
    public Ipv4Routes(IPv4AddressPool pool)
    {
        _network = pool.First;
        _size = (uint)pool.Size;
        _pages = new GatewaySession?[]?[(pool.Size + PageSize - 1) >> PageBits];
    }

    /// <summary>The session routed at <paramref name="address"/>, or null (none, or outside the pool).</summary>
    public GatewaySession? Find(uint address)
    {
        uint offset = address - _network;
        if (offset >= _size)
        {
            return null;
        }

        var page = Volatile.Read(ref _pages[offset >> PageBits]);
        return page is null ? null : Volatile.Read(ref page[offset & InPage]);
    }

    /// <summary>Routes <paramref name="address"/> (in the pool) to <paramref name="session"/>, in place of any other.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The address is outside the pool.</exception>
    public void Set(uint address, GatewaySession session)
    {
        uint offset = address - _network;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(offset, _size, nameof(address));
        ref var slot = ref _pages[offset >> PageBits];
        var page = Volatile.Read(ref slot);
        if (page is null)
        {
            lock (_paging)
            {
                page = slot;
                if (page is null)
                {
                    page = new GatewaySession?[PageSize];
                    Volatile.Write(ref slot, page);
                }
            }
        }

        Volatile.Write(ref page[offset & InPage], session);
    }

    /// <summary>Stops routing <paramref name="address"/>, if it still leads to <paramref name="session"/>.</summary>
    public void Remove(uint address, GatewaySession session)
    {
        uint offset = address - _network;
        if (offset < _size && Volatile.Read(ref _pages[offset >> PageBits]) is { } page)
        {
            Interlocked.CompareExchange(ref page[offset & InPage], null, session);
        }
    }
}
