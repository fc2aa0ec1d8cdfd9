using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Gateway.Addressing;

/// <summary>
/// Leases client addresses from the IPv4 pool. The network and broadcast addresses are never
/// leased, nor the first usable address, which is the gateway's own TUN address. Addresses are
/// big-endian-read integers (198.18.128.2 = 0xC6128002), the form the data plane keys on.
/// Thread-safe.
/// </summary>
public sealed class IPv4AddressPool
{
    private readonly Lock _gate = new();
    private readonly bool[] _leased;
    private readonly uint _network;
    private int _next;
    private int _count;

    public IPv4AddressPool(IPNetwork network)
    {
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetwork || network.PrefixLength is < 8 or > 30)
        {
            throw new ArgumentException($"The IPv4 pool must be an IPv4 network from /8 to /30 (got {network}).", nameof(network));
        }

        Network = network;
        _network = ToUInt32(network.BaseAddress);
        int size = 1 << (32 - network.PrefixLength);
        _leased = new bool[size];
        _leased[0] = true;
        _leased[1] = true;
        _leased[size - 1] = true;
        Capacity = size - 3;
        _next = 2;
    }

    public IPNetwork Network { get; }

    /// <summary>The gateway's own address on the TUN device: the first usable address of the pool.</summary>
    public uint GatewayAddress => _network + 1;

    /// <summary>How many client addresses the pool holds.</summary>
    public int Capacity { get; }

    public int LeasedCount
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Leases the next free address. False when every address is taken.</summary>
    public bool TryLease(out uint address)
    {
        lock (_gate)
        {
            for (int scanned = 0; scanned < _leased.Length; scanned++)
            {
                int index = _next;
                _next = _next + 1 == _leased.Length ? 0 : _next + 1;
                if (!_leased[index])
                {
                    _leased[index] = true;
                    _count++;
                    address = _network + (uint)index;
                    return true;
                }
            }
        }

        address = 0;
        return false;
    }

    /// <summary>Returns an address to the pool; an address outside it, reserved or not leased is ignored.</summary>
    public void Release(uint address)
    {
        lock (_gate)
        {
            if (!TryIndex(address, out int index) || index <= 1 || index == _leased.Length - 1 || !_leased[index])
            {
                return;
            }

            _leased[index] = false;
            _count--;
        }
    }

    public bool Contains(uint address) => TryIndex(address, out _);

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int written) || written != 4)
        {
            throw new ArgumentException($"'{address}' is not an IPv4 address.", nameof(address));
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress ToAddress(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    private bool TryIndex(uint address, out int index)
    {
        uint offset = address - _network;
        if (offset >= (uint)_leased.Length)
        {
            index = -1;
            return false;
        }

        index = (int)offset;
        return true;
    }
}
