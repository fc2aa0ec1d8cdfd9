using System.Net;
using System.Net.Sockets;
using OpenTunnel.Gateway.Configuration;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// What the per-session sets of the nftables table hold for one session: its leased addresses,
/// and either all traffic (<see cref="Allowed"/> null) or the networks it may reach; and the
/// networks it may not (its exclude routes).
/// </summary>
public sealed record SessionRules(IPAddress? Address4, IPAddress? Address6, IReadOnlyList<IPNetwork>? Allowed, IReadOnlyList<IPNetwork> Denied)
{
    /// <summary>
    /// The rules of a session holding <paramref name="address4"/> and <paramref name="address6"/>
    /// (null for none) with <paramref name="policy"/>. A session with all traffic is held to its
    /// exclude routes only with <paramref name="restrictToRoutes"/>, as without group policies.
    /// </summary>
    public static SessionRules For(IPAddress? address4, IPAddress? address6, SessionPolicy policy, bool restrictToRoutes)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.AllTraffic
            ? new SessionRules(address4, address6, null, restrictToRoutes ? policy.SplitExclude : [])
            : new SessionRules(address4, address6, policy.SplitInclude, policy.SplitExclude);
    }

    /// <summary>The set elements, as (set name, nft element) pairs.</summary>
    public IEnumerable<(string Set, string Element)> Elements()
    {
        (IPAddress? Address, string Suffix, AddressFamily Family)[] families = [(Address4, "4", AddressFamily.InterNetwork), (Address6, "6", AddressFamily.InterNetworkV6)];
        foreach ((IPAddress? address, string suffix, AddressFamily family) in families)
        {
            if (address is null)
            {
                continue;
            }

            if (Allowed is null)
            {
                yield return ("open" + suffix, address.ToString());
            }
            else
            {
                foreach (IPNetwork network in Allowed)
                {
                    if (network.BaseAddress.AddressFamily == family)
                    {
                        yield return ("allowed" + suffix, $"{address} . {network}");
                    }
                }
            }

            foreach (IPNetwork network in Denied)
            {
                if (network.BaseAddress.AddressFamily == family)
                {
                    yield return ("denied" + suffix, $"{address} . {network}");
                }
            }
        }
    }
}
