using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Gateway.Addressing;

/// <summary>
/// Leases one IPv6 address per session from the IPv6 pool, as ocserv does with ipv6-network.
/// The network's first address (the subnet-router anycast address) and the second (the
/// gateway's own TUN address) are never leased. Addresses are <see cref="Ipv6Number"/>s, the form
/// <see cref="IpPacket.TryReadIpv6"/> gives. Thread-safe.
/// </summary>
public sealed class IPv6AddressPool
{
    /// <summary>At most this many addresses are handed out, however large the network.</summary>
    public const int MaxLeases = 1 << 20;

    private readonly Lock _gate = new();
    private readonly HashSet<Ipv6Number> _leased = [];
    private readonly Ipv6Number _network;
    // From /64 to /120 the network's part covers the whole upper half, so an address's offset
    // in the network is its lower half's offset: the pool works in 64-bit numbers only.
    private readonly ulong _hostMask;
    private ulong _next = 2;

    public IPv6AddressPool(IPNetwork network)
    {
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || network.PrefixLength is < 64 or > 120)
        {
            throw new ArgumentException($"The IPv6 pool must be an IPv6 network from /64 to /120 (got {network}).", nameof(network));
        }

        Network = network;
        _network = Ipv6Number.Of(network.BaseAddress);
        int hostBits = 128 - network.PrefixLength;
        _hostMask = hostBits == 64 ? ulong.MaxValue : (1UL << hostBits) - 1;
        Capacity = (int)Math.Min(_hostMask - 1, MaxLeases);
    }

    public IPNetwork Network { get; }

    /// <summary>The gateway's own address on the TUN device: the network's second address.</summary>
    public Ipv6Number GatewayAddress => _network with { Lower = _network.Lower + 1 };

    public int Capacity { get; }

    public bool TryLease(out Ipv6Number address)
    {
        lock (_gate)
        {
            if (_leased.Count < Capacity)
            {
                while (true)
                {
                    var candidate = _network with { Lower = _network.Lower + _next };
                    _next = _next + 1 >= 2 + (ulong)Capacity ? 2 : _next + 1;
                    if (_leased.Add(candidate))
                    {
                        address = candidate;
                        return true;
                    }
                }
            }
        }

        address = Ipv6Number.Zero;
        return false;
    }

    /// <summary>Leases <paramref name="address"/> itself (a session restored after a restart). False when it is outside the leasable range or leased.</summary>
    public bool TryLease(Ipv6Number address)
    {
        ulong offset = address.Lower - _network.Lower;
        lock (_gate)
        {
            return Contains(address) && offset >= 2 && offset < 2 + (ulong)Capacity && _leased.Count < Capacity && _leased.Add(address);
        }
    }

    public void Release(Ipv6Number address)
    {
        lock (_gate)
        {
            _leased.Remove(address);
        }
    }

    public bool Contains(Ipv6Number address) => address.Upper == _network.Upper && (address.Lower & ~_hostMask) == _network.Lower;
}
