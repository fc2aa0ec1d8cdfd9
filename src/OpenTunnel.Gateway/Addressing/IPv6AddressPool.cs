using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Gateway.Addressing;

/// <summary>
/// Leases one IPv6 address per session from the IPv6 pool, as ocserv does with ipv6-network.
/// The network's first address (the subnet-router anycast address) and the second (the
/// gateway's own TUN address) are never leased. Addresses are big-endian-read 128-bit integers,
/// the form <see cref="Platform.Linux.Packets.IpPacket.TryReadIpv6"/> gives. Thread-safe.
/// </summary>
public sealed class IPv6AddressPool
{
    /// <summary>At most this many addresses are handed out, however large the network.</summary>
    public const int MaxLeases = 1 << 20;

    private readonly Lock _gate = new();
    private readonly HashSet<UInt128> _leased = [];
    private readonly UInt128 _network;
    private readonly UInt128 _size;
    private UInt128 _next = 2;

    public IPv6AddressPool(IPNetwork network)
    {
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || network.PrefixLength is < 64 or > 120)
        {
            throw new ArgumentException($"The IPv6 pool must be an IPv6 network from /64 to /120 (got {network}).", nameof(network));
        }

        Network = network;
        _network = ToUInt128(network.BaseAddress);
        _size = UInt128.One << (128 - network.PrefixLength);
        Capacity = (int)UInt128.Min(_size - 2, MaxLeases);
    }

    public IPNetwork Network { get; }

    /// <summary>The gateway's own address on the TUN device: the network's second address.</summary>
    public UInt128 GatewayAddress => _network + 1;

    public int Capacity { get; }

    public bool TryLease(out UInt128 address)
    {
        lock (_gate)
        {
            if (_leased.Count < Capacity)
            {
                while (true)
                {
                    UInt128 candidate = _network + _next;
                    _next = _next + 1 >= 2 + (UInt128)Capacity ? 2 : _next + 1;
                    if (_leased.Add(candidate))
                    {
                        address = candidate;
                        return true;
                    }
                }
            }
        }

        address = UInt128.Zero;
        return false;
    }

    /// <summary>Leases <paramref name="address"/> itself (a session restored after a restart). False when it is outside the leasable range or leased.</summary>
    public bool TryLease(UInt128 address)
    {
        UInt128 offset = address - _network;
        lock (_gate)
        {
            return address >= _network && offset >= 2 && offset < 2 + (UInt128)Capacity && _leased.Count < Capacity && _leased.Add(address);
        }
    }

    public void Release(UInt128 address)
    {
        lock (_gate)
        {
            _leased.Remove(address);
        }
    }

    public bool Contains(UInt128 address) => address - _network < _size;

    public static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written) || written != 16)
        {
            throw new ArgumentException($"'{address}' is not an IPv6 address.", nameof(address));
        }

        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes);
    }
}
