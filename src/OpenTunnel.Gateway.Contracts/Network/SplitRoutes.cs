using System.Net;

namespace OpenTunnel.Gateway.Contracts.Network;

/// <summary>
/// The rules for one list of split routes (include or exclude), the same in the management
/// service, which checks a server configuration before storing it, and in the gateway, which
/// checks its configuration before it replaces the running one: every entry a CIDR range, no
/// range listed twice or inside another of the same list, none overlapping a client address pool
/// (the clients' own addresses are never a split route).
/// </summary>
public static class SplitRoutes
{
    /// <summary>
    /// Parses each route and calls <paramref name="report"/> with the index of every bad entry and
    /// what is wrong with it; <paramref name="entryName"/> names an entry in a message, as the
    /// caller's settings do (for example "Network:SplitInclude:0" or "includeRoutes[0]").
    /// </summary>
    public static void Check(IReadOnlyList<string> routes, ReadOnlySpan<IPNetwork?> pools, Func<int, string> entryName, Action<int, string> report)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(entryName);
        ArgumentNullException.ThrowIfNull(report);
        var parsed = new List<(int Index, IPNetwork Network)>(routes.Count);
        for (int i = 0; i < routes.Count; i++)
        {
            string? problem = NetworkSyntax.TryParseCidr(routes[i], out IPNetwork route);
            if (problem is not null)
            {
                report(i, problem);
                continue;
            }

            foreach ((int j, IPNetwork other) in parsed)
            {
                if (NetworkSyntax.Overlap(route, other))
                {
                    report(i, $"'{routes[i]}' overlaps {entryName(j)} '{other}': list each range once.");
                    break;
                }
            }

            // Routing the pool into (or around) the tunnel would send clients' own addresses back at them.
            foreach (IPNetwork? pool in pools)
            {
                if (pool is { } p && NetworkSyntax.Overlap(p, route))
                {
                    report(i, $"'{routes[i]}' overlaps the client address pool {p}: the client's own addresses cannot be a split route.");
                }
            }

            parsed.Add((i, route));
        }
    }
}
