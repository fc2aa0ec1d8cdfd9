using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Client.HostNetwork;

namespace OpenTunnel.Client.PerApp;

/// <summary>
/// What the client's own vpnc-script does when openconnect brings a per-app tunnel up, and what the
/// native engine does with its own TUN device for a per-app profile (pure code):
/// the TUN device is moved into the profile's network namespace and configured
/// there (addresses, MTU, the pool network and the split-includes, or everything of a family without
/// includes, as <see cref="RoutePlan"/> gives them), and the namespace's resolv.conf names the
/// tunnel's DNS servers and domains. The namespace has no other device, so split-excludes and every
/// address outside the tunnel's routes are unreachable from it, and nothing outside it sees the
/// tunnel. The variables are openconnect's (script.c <c>set_script_env</c>), as vpnc-script reads them.
/// </summary>
public sealed record AppTunnelPlan(string Device, IReadOnlyList<IReadOnlyList<string>> IpCommands, string ResolvConf)
{
    /// <summary>The plan for <c>reason=connect</c>; throws <see cref="FormatException"/> naming the variable that is missing or wrong.</summary>
    public static AppTunnelPlan ForConnect(IReadOnlyDictionary<string, string> variables, string netns)
    {
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentException.ThrowIfNullOrEmpty(netns);
        string device = Required(variables, "TUNDEV");
        TunnelLease lease = Lease(variables);
        IPAddress gateway = Address(variables, "VPNGATEWAY") ?? throw new FormatException("VPNGATEWAY is not set.");
        return ForLease(lease, device, gateway, netns, moveDevice: true);
    }

    /// <summary>
    /// The plan for <paramref name="lease"/> on <paramref name="device"/>: openconnect's device at
    /// <c>reason=connect</c>, or the native engine's own. With <paramref name="moveDevice"/> the
    /// device is moved into the namespace first; without, it is there already (the native engine
    /// configuring it again for a new lease after a reconnect).
    /// </summary>
    public static AppTunnelPlan ForLease(TunnelLease lease, string device, IPAddress gateway, string netns, bool moveDevice)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentException.ThrowIfNullOrEmpty(netns);
        var commands = new List<IReadOnlyList<string>>();
        if (moveDevice)
        {
            commands.Add(["link", "set", "dev", device, "netns", netns]);
        }

        commands.Add(["-n", netns, "link", "set", "dev", device, "up", "mtu", lease.Mtu.ToString(CultureInfo.InvariantCulture)]);
        if (lease.IPv4Address is { } ipv4)
        {
            commands.Add(["-n", netns, "addr", "add", ipv4 + "/32", "dev", device]);
        }

        if (lease.IPv6Address is { } ipv6)
        {
            commands.Add(["-n", netns, "-6", "addr", "add", $"{ipv6}/{lease.IPv6PrefixLength}", "dev", device, "nodad"]);
        }

        // Nothing stays outside the tunnel inside the namespace: it has no path but the tunnel, so no
        // route to the gateway or to the split-excludes is kept (pathTo finds none).
        foreach (HostRoute route in RoutePlan.For(lease, device, gateway, _ => null))
        {
            commands.Add(["-n", netns, .. route.Arguments("replace")]);
        }

        return new AppTunnelPlan(device, commands, HostNetwork.ResolvConf.Render(lease));
    }

    /// <summary>The tunnel's settings from openconnect's script variables.</summary>
    public static TunnelLease Lease(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        IPAddress? ipv4 = Address(variables, "INTERNAL_IP4_ADDRESS");
        IPNetwork? pool = null;
        if (ipv4 is not null && Value(variables, "INTERNAL_IP4_NETADDR") is { } netAddress && Value(variables, "INTERNAL_IP4_NETMASK") is { } netMask)
        {
            pool = TunnelLease.Network($"{netAddress}/{netMask}", "INTERNAL_IP4_NETADDR/INTERNAL_IP4_NETMASK");
        }

        IPAddress? ipv6 = Address(variables, "INTERNAL_IP6_ADDRESS");
        int ipv6Prefix = 128;
        if (Value(variables, "INTERNAL_IP6_NETMASK") is { } ipv6Network)
        {
            // openconnect passes the address with the pool's prefix here (X-CSTP-Address-IP6).
            ipv6 = IPAddress.Parse(ipv6Network.Split('/')[0]);
            ipv6Prefix = TunnelLease.Network(ipv6Network, "INTERNAL_IP6_NETMASK").PrefixLength;
        }

        if (ipv4 is null && ipv6 is null)
        {
            throw new FormatException("Neither INTERNAL_IP4_ADDRESS nor INTERNAL_IP6_ADDRESS is set.");
        }

        string mtu = Required(variables, "INTERNAL_IP4_MTU");
        if (!int.TryParse(mtu, NumberStyles.None, CultureInfo.InvariantCulture, out int mtuValue) || mtuValue is < 576 or > 65535)
        {
            throw new FormatException($"INTERNAL_IP4_MTU '{mtu}' is not an MTU (576 to 65535).");
        }

        var dns = new List<IPAddress>();
        foreach (string name in (string[])["INTERNAL_IP4_DNS", "INTERNAL_IP6_DNS"])
        {
            foreach (string server in (Value(variables, name) ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                dns.Add(IPAddress.TryParse(server, out IPAddress? address) ? address : throw new FormatException($"{name} '{server}' is not an IP address."));
            }
        }

        return new TunnelLease
        {
            IPv4Address = ipv4,
            IPv4Network = pool,
            IPv6Address = ipv6,
            IPv6PrefixLength = ipv6Prefix,
            DnsServers = dns,
            DefaultDomain = Value(variables, "CISCO_DEF_DOMAIN"),
            SplitDns = (Value(variables, "CISCO_SPLIT_DNS") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            SplitInclude = [.. Routes(variables, "CISCO_SPLIT_INC"), .. Routes(variables, "CISCO_IPV6_SPLIT_INC")],
            Mtu = mtuValue,
        };
    }

    /// <summary>PREFIX (a count), then PREFIX_i_ADDR and PREFIX_i_MASKLEN for each.</summary>
    private static IEnumerable<IPNetwork> Routes(IReadOnlyDictionary<string, string> variables, string prefix)
    {
        string count = Value(variables, prefix) ?? "0";
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            throw new FormatException($"{prefix} '{count}' is not a count.");
        }

        for (int i = 0; i < n; i++)
        {
            string address = Required(variables, $"{prefix}_{i}_ADDR");
            string length = Required(variables, $"{prefix}_{i}_MASKLEN");
            yield return TunnelLease.Network($"{address}/{length}", $"{prefix}_{i}");
        }
    }

    private static IPAddress? Address(IReadOnlyDictionary<string, string> variables, string name) =>
        Value(variables, name) is not { } text ? null
        : IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? address
        : throw new FormatException($"{name} '{text}' is not an IP address.");

    private static string Required(IReadOnlyDictionary<string, string> variables, string name) =>
        Value(variables, name) ?? throw new FormatException($"{name} is not set.");

    private static string? Value(IReadOnlyDictionary<string, string> variables, string name) =>
        variables.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
