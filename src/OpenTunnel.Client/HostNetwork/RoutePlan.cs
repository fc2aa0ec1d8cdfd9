using System.Net;
using System.Net.Sockets;

namespace OpenTunnel.Client.HostNetwork;

/// <summary>A route of the host's main table: a network through a device, with a next hop or on link.</summary>
public sealed record HostRoute(IPNetwork Network, string Device, IPAddress? Via)
{
    /// <summary>The arguments of <c>ip route <paramref name="verb"/></c> (replace, del) for it.</summary>
    public IReadOnlyList<string> Arguments(string verb) =>
        [.. Network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? new[] { "-6" } : [], "route", verb, Network.ToString(),
         .. Via is null ? Array.Empty<string>() : ["via", Via.ToString()], "dev", Device];

    /// <summary>Reads the answer of <c>ip -j route get ADDRESS</c>; null when it names no device.</summary>
    public static HostRoute? FromRouteGet(string json, IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        foreach (var route in document.RootElement.EnumerateArray())
        {
            if (route.TryGetProperty("dev", out var dev) && dev.GetString() is { } device)
            {
                IPAddress? via = route.TryGetProperty("gateway", out var gateway) && IPAddress.TryParse(gateway.GetString(), out var hop) ? hop : null;
                return new HostRoute(new IPNetwork(destination, destination.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), device, via);
            }
        }

        return null;
    }
}

/// <summary>
/// The routes a tunnel needs, as openconnect's vpnc-script sets them: the pool network and every
/// split-include through the TUN device (for a family without any include, 0/1 and 128/1, or ::/1
/// and 8000::/1, which win over the default route without replacing it); split-excludes and the
/// gateway's own address through the path they had before, so the tunnel's packets never enter
/// the tunnel.
/// </summary>
public static class RoutePlan
{
    /// <param name="lease">What the gateway announced.</param>
    /// <param name="tunDevice">The tunnel's device.</param>
    /// <param name="gateway">The gateway's address, kept outside the tunnel.</param>
    /// <param name="pathTo">The route the host uses now for an address (<c>ip route get</c>), before any tunnel route exists.</param>
    public static IReadOnlyList<HostRoute> For(TunnelLease lease, string tunDevice, IPAddress gateway, Func<IPAddress, HostRoute?> pathTo)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(pathTo);
        var routes = new List<HostRoute>();
        if (pathTo(gateway) is { } toGateway)
        {
            routes.Add(toGateway with { Network = new IPNetwork(gateway, gateway.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) });
        }

        foreach (var exclude in lease.SplitExclude)
        {
            if (pathTo(exclude.BaseAddress) is { } before)
            {
                routes.Add(before with { Network = exclude });
            }
        }

        if (lease.IPv4Network is { } pool)
        {
            routes.Add(new HostRoute(pool, tunDevice, null));
        }

        if (lease.IPv4Address is not null)
        {
            AddIncludes(routes, lease, AddressFamily.InterNetwork, tunDevice, ["0.0.0.0/1", "128.0.0.0/1"]);
        }

        if (lease.IPv6Address is not null)
        {
            AddIncludes(routes, lease, AddressFamily.InterNetworkV6, tunDevice, ["::/1", "8000::/1"]);
        }

        return routes;
    }

    private static void AddIncludes(List<HostRoute> routes, TunnelLease lease, AddressFamily family, string tunDevice, string[] everything)
    {
        var includes = lease.SplitInclude.Where(n => n.BaseAddress.AddressFamily == family).ToList();
        foreach (var network in includes.Count > 0 ? includes : everything.Select(IPNetwork.Parse))
        {
            routes.Add(new HostRoute(network, tunDevice, null));
        }
    }
}
