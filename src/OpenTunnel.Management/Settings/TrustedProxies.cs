using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace OpenTunnel.Management.Settings;

/// <summary>
/// Forwarded headers behind a TLS-terminating proxy (<c>Management:TrustedProxies</c>): the client
/// address and scheme are taken from <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> only when
/// the connection comes from a listed proxy address or network, walking the chain from the right
/// and stopping at the first address that is not a trusted proxy. Nothing is trusted by default:
/// without the setting the middleware is not used at all (with empty lists it would trust every
/// peer), and ASP.NET Core's default of trusting loopback is cleared, so a client cannot choose the
/// address the sign-in throttle and the logs see.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Each entry that is neither an IP address nor a CIDR network, as a message naming it.</summary>
    public static IEnumerable<string> Problems(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            if (!TryParse(entries[i], out _))
            {
                yield return $"Management:TrustedProxies:{i} '{entries[i]}' is neither an IP address nor a network (address/prefix, e.g. 10.0.0.0/8).";
            }
        }
    }

    /// <summary>Trusts exactly <paramref name="entries"/> (checked by <see cref="Problems"/>).</summary>
    public static void Configure(ForwardedHeadersOptions options, IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(entries);
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.ForwardLimit = null;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (string entry in entries)
        {
            if (TryParse(entry, out System.Net.IPNetwork network))
            {
                options.KnownIPNetworks.Add(network);
            }
        }
    }

    /// <summary>An address is the network of that one address (/32 or /128).</summary>
    private static bool TryParse(string? entry, out System.Net.IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(entry))
        {
            return false;
        }

        if (IPAddress.TryParse(entry, out IPAddress? address) && !entry.Contains('/', StringComparison.Ordinal))
        {
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return System.Net.IPNetwork.TryParse(entry, out network);
    }
}
