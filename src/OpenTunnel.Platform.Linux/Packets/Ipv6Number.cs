using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Platform.Linux.Packets;

/// <summary>
/// An IPv6 address as a 128-bit number in two halves, each read big-endian: 2001:db8::1 is
/// (0x20010DB800000000, 1). The key of the gateway's IPv6 tables and pool.
/// </summary>
public readonly record struct Ipv6Number(ulong Upper, ulong Lower)
{
    public const int Length = 16;

    /// <summary>The unspecified address (::); a session without an IPv6 address has this.</summary>
    public static Ipv6Number Zero => default;

    /// <summary>Reads the 16 bytes at the start of <paramref name="bytes"/> (network order).</summary>
    public static Ipv6Number Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    /// <summary>The number of an IPv6 address; an IPv4 address is refused.</summary>
    public static Ipv6Number Of(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"'{address}' is not an IPv6 address.", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[Length];
        address.TryWriteBytes(bytes, out _);
        return Read(bytes);
    }

    /// <summary>Writes the 16 bytes in network order.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Upper);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Lower);
    }

    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>The address, or null for <see cref="Zero"/>, which stands for "no IPv6 address" (a session without one).</summary>
    public IPAddress? ToAddressOrNull() => this == Zero ? null : ToAddress();

    public override string ToString() => ToAddress().ToString();
}
