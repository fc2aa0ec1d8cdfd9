using System.Net;

namespace OpenTunnel.Gateway.Contracts.Network;

/// <summary>
/// The union of several route lists (a user's groups, a configuration's defaults), as the
/// management service counts it against the 500-route limit and the gateway pushes and enforces
/// it: each range once, in first-seen order, and a range inside another of the union left out
/// (it adds nothing, and nftables refuses overlapping intervals in one set).
/// </summary>
public static class RouteUnion
{
    public static List<IPNetwork> Of(IEnumerable<IReadOnlyList<IPNetwork>> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var union = new List<IPNetwork>();
        foreach (IReadOnlyList<IPNetwork> list in lists)
        {
            foreach (IPNetwork route in list)
            {
                Add(union, route);
            }
        }

        return union;
    }

    /// <summary>The routes of <paramref name="texts"/> that parse as CIDR ranges; the others are left to the list's own check.</summary>
    public static List<IPNetwork> Parse(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var routes = new List<IPNetwork>();
        foreach (string text in texts)
        {
            if (NetworkSyntax.TryParseCidr(text, out IPNetwork route) is null)
            {
                routes.Add(route);
            }
        }

        return routes;
    }

    private static void Add(List<IPNetwork> union, IPNetwork route)
    {
        for (int i = 0; i < union.Count; i++)
        {
            IPNetwork existing = union[i];
            if (!NetworkSyntax.Overlap(existing, route))
            {
                continue;
            }

            if (existing.PrefixLength <= route.PrefixLength)
            {
                return;
            }

            // The new range holds the one listed: it takes its place, and any other it holds goes.
            union[i] = route;
            union.RemoveAll(other => !other.Equals(route) && NetworkSyntax.Overlap(other, route));
            return;
        }

        union.Add(route);
    }
}
