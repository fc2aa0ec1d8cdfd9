using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Gateway.Contracts.Network;

/// <summary>
/// The rules for a client address pool (the range the gateway leases tunnel addresses from), the
/// same in the management service and the gateway.
/// </summary>
public static class ClientPool
{
    /// <summary>A larger IPv4 pool than /8 is a typo: no gateway serves sixteen million clients.</summary>
    public const int MinimumIPv4Prefix = 8;

    /// <summary>A /30 holds the gateway's address and one client.</summary>
    public const int MaximumIPv4Prefix = 30;

    /// <summary>A /64 is the smallest IPv6 subnet that routes normally (RFC 4291 section 2.5.1).</summary>
    public const int MinimumIPv6Prefix = 64;

    /// <summary>ocserv hands each IPv6 client one address of the pool by default; keep room for 255.</summary>
    public const int MaximumIPv6Prefix = 120;

    /// <summary>Parses a pool of <paramref name="family"/>; returns null on success, else what is wrong.</summary>
    public static string? TryParse(string? text, AddressFamily family, out IPNetwork pool)
    {
        string? problem = NetworkSyntax.TryParseCidr(text, out pool);
        if (problem is not null)
        {
            return problem;
        }

        (string name, int minimum, int maximum) = family == AddressFamily.InterNetwork
            ? ("IPv4", MinimumIPv4Prefix, MaximumIPv4Prefix)
            : ("IPv6", MinimumIPv6Prefix, MaximumIPv6Prefix);
        if (pool.BaseAddress.AddressFamily != family)
        {
            return $"'{text}' is not an {name} range.";
        }

        if (pool.PrefixLength < minimum || pool.PrefixLength > maximum)
        {
            return $"'{text}' is not a usable client pool: the prefix must be from /{minimum} to /{maximum}.";
        }

        return null;
    }
}
