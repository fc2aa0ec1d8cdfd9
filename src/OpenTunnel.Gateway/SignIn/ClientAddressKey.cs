using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Contracts.Network;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// What one client is counted as in per-address limits: an IPv4 address (also when it arrives
/// IPv4-mapped on a dual-stack socket), or the /64 an IPv6 address lies in. A single host is
/// normally given a whole /64 (RFC 7421 section 1), so keying by full IPv6 address would let one
/// client take a fresh budget for each of its 2^64 addresses.
/// </summary>
public readonly record struct ClientAddressKey
{
    private const ulong MappedIPv4Marker = 0x0000_FFFF_0000_0000;

    private readonly ulong _high;
    private readonly ulong _low;

    private ClientAddressKey(ulong high, ulong low)
    {
        _high = high;
        _low = low;
    }

    public static ClientAddressKey From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return new ClientAddressKey(0, MappedIPv4Marker | BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return new ClientAddressKey(BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }

    /// <summary>
    /// Reads a key as <see cref="ToString"/> writes it (<c>198.18.1.2</c>, <c>2001:db8:1::/64</c>)
    /// or from any address it covers (<c>2001:db8:1::5</c>); false for anything else, including an
    /// IPv6 network of another length.
    /// </summary>
    public static bool TryParse(string? text, out ClientAddressKey key)
    {
        key = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (NetworkSyntax.TryParseCidr(text, out IPNetwork network) is not null
                || network.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || network.PrefixLength != 64)
            {
                return false;
            }

            key = From(network.BaseAddress);
            return true;
        }

        if (!NetworkSyntax.TryParseAddress(text, out IPAddress? address))
        {
            return false;
        }

        key = From(address);
        return true;
    }

    /// <summary>The address (IPv4) or the network (IPv6, as <c>PREFIX::/64</c>) this key stands for.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (_high == 0 && (_low & MappedIPv4Marker) == MappedIPv4Marker)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)_low);
            return new IPAddress(bytes[..4]).ToString();
        }

        BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/64");
    }
}
