using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.Addressing;

/// <summary>
/// Leases client addresses from the IPv4 pool. The network and broadcast addresses are never
/// leased, nor the first usable address, which is the gateway's own TUN address. In a pool that
/// is link-local (169.254.0.0/16, the default and Microsoft Tunnel's), never leased either: the
/// first and last /24 of 169.254.0.0/16 (reserved by RFC 3927 section 2.1), the first and last
/// /24 of the pool, and 169.254.169.0/24, where clouds put the instance metadata service
/// (169.254.169.254) and their DNS and time servers, so that no client ever holds an address the
/// gateway host or a client's own host must reach on its link. Addresses are big-endian-read
/// integers (198.18.128.2 = 0xC6128002), the form the data plane keys on. Thread-safe.
/// </summary>
public sealed class IPv4AddressPool
{
    /// <summary>IPv4 link-local addresses (RFC 3927).</summary>
    public static readonly IPNetwork LinkLocal = IPNetwork.Parse("169.254.0.0/16");

    /// <summary>Where clouds (AWS, Azure, Google, OCI) put the metadata service 169.254.169.254 and their DNS and time servers.</summary>
    public static readonly IPNetwork CloudServices = IPNetwork.Parse("169.254.169.0/24");

    private readonly Lock _gate = new();
    private readonly bool[] _leased;
    private readonly List<(int First, int Last)> _reserved = [];
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
        Reserve(0, 1);
        Reserve(size - 1, size - 1);
        if (NetworkSyntax.Overlap(network, LinkLocal))
        {
            uint linkLocal = ToUInt32(LinkLocal.BaseAddress);
            ReserveAbsolute(linkLocal, linkLocal + 255);
            ReserveAbsolute(linkLocal + 0xFF00, linkLocal + 0xFFFF);
            ReserveAbsolute(ToUInt32(CloudServices.BaseAddress), ToUInt32(CloudServices.BaseAddress) + 255);
            if (size > 256)
            {
                Reserve(0, 255);
                Reserve(size - 256, size - 1);
            }
        }

        int reserved = 0;
        foreach (bool taken in _leased)
        {
            reserved += taken ? 1 : 0;
        }

        Capacity = size - reserved;
        _next = 2;
    }

    public IPNetwork Network { get; }

    /// <summary>The pool's network address, as a number: its first address.</summary>
    public uint First => _network;

    /// <summary>How many addresses the pool spans, network and broadcast addresses included.</summary>
    public int Size => _leased.Length;

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

    /// <summary>Leases <paramref name="address"/> itself (a session restored after a restart). False when it is outside the pool, reserved or leased.</summary>
    public bool TryLease(uint address)
    {
        lock (_gate)
        {
            if (!TryIndex(address, out int index) || _leased[index])
            {
                return false;
            }

            _leased[index] = true;
            _count++;
            return true;
        }
    }

    /// <summary>Returns an address to the pool; an address outside it, reserved or not leased is ignored.</summary>
    public void Release(uint address)
    {
        lock (_gate)
        {
            if (!TryIndex(address, out int index) || IsReserved(index) || !_leased[index])
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

    /// <summary>Whether <paramref name="address"/> is in the pool but never leased (see the class summary).</summary>
    public bool IsReserved(uint address) => TryIndex(address, out int index) && IsReserved(index);

    private bool IsReserved(int index)
    {
        foreach ((int first, int last) in _reserved)
        {
            if (index >= first && index <= last)
            {
                return true;
            }
        }

        return false;
    }

    private void Reserve(int first, int last)
    {
        _reserved.Add((first, last));
        _leased.AsSpan(first, last - first + 1).Fill(true);
    }

    /// <summary>Reserves the part of <paramref name="first"/>..<paramref name="last"/> that lies in the pool.</summary>
    private void ReserveAbsolute(uint first, uint last)
    {
        uint poolLast = _network + (uint)(_leased.Length - 1);
        if (last < _network || first > poolLast)
        {
            return;
        }

        Reserve((int)(Math.Max(first, _network) - _network), (int)(Math.Min(last, poolLast) - _network));
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
