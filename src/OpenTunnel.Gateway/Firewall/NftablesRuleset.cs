using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// The nftables table the gateway owns (family inet), as an <c>nft -f</c> script. It only adds
/// its own table:
/// <list type="bullet">
/// <item>PAT (masquerade) of the pools (IPv4, and IPv6 when configured) towards the egress
/// interfaces (every interface but the TUN device when none is configured);</item>
/// <item>unless client-to-client traffic is allowed, a forward rule that drops pool-to-pool
/// packets the kernel would route back into the TUN device;</item>
/// <item>unless clients may reach the host, an input rule that drops what clients send to the
/// gateway host's own addresses (DNS to the pushed servers and replies to the host's own
/// connections excepted), and a forward rule that drops what they send to the cloud metadata
/// services;</item>
/// <item>with <see cref="FirewallPolicy.RestrictToRoutes"/>, as ocserv's restrict-user-to-routes,
/// forward rules that let clients reach only the split-include networks (all, when there are
/// none) minus the split-exclude networks, DNS to the pushed servers excepted.</item>
/// </list>
/// The script first creates then deletes the table, so applying it replaces an old copy
/// atomically and works when none exists.
/// </summary>
public static class NftablesRuleset
{
    public static string Build(string table, FirewallPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string tun = Quote(policy.TunDevice);
        var script = new StringBuilder();
        script.Append("table inet ").Append(table).Append(" {}\n");
        script.Append("delete table inet ").Append(table).Append('\n');
        script.Append("table inet ").Append(table).Append(" {\n");
        if (policy.RestrictToRoutes)
        {
            AppendSet(script, "included4", "ipv4_addr", policy.SplitInclude, AddressFamily.InterNetwork);
            AppendSet(script, "included6", "ipv6_addr", policy.SplitInclude, AddressFamily.InterNetworkV6);
            AppendSet(script, "excluded4", "ipv4_addr", policy.SplitExclude, AddressFamily.InterNetwork);
            AppendSet(script, "excluded6", "ipv6_addr", policy.SplitExclude, AddressFamily.InterNetworkV6);
        }

        script.Append("  chain postrouting {\n");
        script.Append("    type nat hook postrouting priority srcnat; policy accept;\n");
        AppendMasquerade(script, "ip", policy.Pool, tun, policy.EgressInterfaces);
        if (policy.Pool6 is { } p6)
        {
            AppendMasquerade(script, "ip6", p6, tun, policy.EgressInterfaces);
        }

        script.Append("  }\n");
        script.Append("  chain forward {\n");
        script.Append("    type filter hook forward priority filter; policy accept;\n");
        if (!policy.AllowClientToClient)
        {
            script.Append("    iifname ").Append(tun).Append(" oifname ").Append(tun).Append(" drop\n");
        }

        if (!policy.AllowClientToHost)
        {
            foreach (IPAddress metadata in FirewallPolicy.MetadataServices)
            {
                script.Append("    iifname ").Append(tun).Append(' ').Append(Family(metadata)).Append(" daddr ").Append(metadata).Append(" drop\n");
            }
        }

        if (policy.RestrictToRoutes)
        {
            string fromClient = $"    iifname {tun} oifname != {tun} ";
            AppendDnsAccept(script, fromClient, policy.DnsServers);
            AppendRestriction(script, fromClient, "ip", "4", policy.SplitInclude, policy.SplitExclude, AddressFamily.InterNetwork);
            AppendRestriction(script, fromClient, "ip6", "6", policy.SplitInclude, policy.SplitExclude, AddressFamily.InterNetworkV6);
        }

        script.Append("  }\n");
        if (!policy.AllowClientToHost)
        {
            string fromClient = $"    iifname {tun} ";
            script.Append("  chain input {\n");
            script.Append("    type filter hook input priority filter; policy accept;\n");
            script.Append(fromClient).Append("ct state established,related accept\n");
            AppendDnsAccept(script, fromClient, policy.DnsServers);
            script.Append(fromClient).Append("drop\n");
            script.Append("  }\n");
        }

        script.Append("}\n");
        return script.ToString();
    }

    /// <summary>The script that removes the table and nothing else.</summary>
    public static string Remove(string table) => $"delete table inet {table}\n";

    private static void AppendMasquerade(StringBuilder script, string family, IPNetwork pool, string tun, IReadOnlyList<string> egressInterfaces)
    {
        if (egressInterfaces.Count == 0)
        {
            script.Append("    ").Append(family).Append(" saddr ").Append(pool).Append(" oifname != ").Append(tun).Append(" masquerade\n");
            return;
        }

        foreach (string egress in egressInterfaces)
        {
            script.Append("    ").Append(family).Append(" saddr ").Append(pool).Append(" oifname ").Append(Quote(egress)).Append(" masquerade\n");
        }
    }

    private static void AppendSet(StringBuilder script, string name, string type, IReadOnlyList<IPNetwork> networks, AddressFamily family)
    {
        script.Append("  set ").Append(name).Append(" {\n    type ").Append(type).Append("; flags interval;\n");
        string separator = "    elements = { ";
        foreach (IPNetwork network in networks)
        {
            if (network.BaseAddress.AddressFamily == family)
            {
                script.Append(separator).Append(network);
                separator = ", ";
            }
        }

        script.Append(separator == ", " ? " }\n" : string.Empty).Append("  }\n");
    }

    /// <summary>
    /// Drops the family's packets to an excluded network, and, when any include route is pushed,
    /// to anything outside the family's include routes (a family with none is closed).
    /// </summary>
    private static void AppendRestriction(StringBuilder script, string fromClient, string family, string suffix, IReadOnlyList<IPNetwork> include, IReadOnlyList<IPNetwork> exclude, AddressFamily addressFamily)
    {
        script.Append(fromClient).Append(family).Append(" daddr @excluded").Append(suffix).Append(" drop\n");
        if (include.Count == 0)
        {
            return;
        }

        bool familyHasIncludes = false;
        foreach (IPNetwork network in include)
        {
            familyHasIncludes |= network.BaseAddress.AddressFamily == addressFamily;
        }

        script.Append(fromClient);
        if (familyHasIncludes)
        {
            script.Append(family).Append(" daddr != @included").Append(suffix).Append(" drop\n");
        }
        else
        {
            script.Append("meta nfproto ").Append(family == "ip" ? "ipv4" : "ipv6").Append(" drop\n");
        }
    }

    /// <summary>DNS (udp and tcp port 53) to the pushed servers, which clients need whatever the routes and wherever the server runs.</summary>
    private static void AppendDnsAccept(StringBuilder script, string fromClient, IReadOnlyList<IPAddress> dnsServers)
    {
        foreach (IPAddress server in dnsServers)
        {
            foreach (string protocol in (ReadOnlySpan<string>)["udp", "tcp"])
            {
                script.Append(fromClient).Append(Family(server)).Append(" daddr ").Append(server).Append(' ').Append(protocol).Append(" dport 53 accept\n");
            }
        }
    }

    private static string Family(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork ? "ip" : "ip6";

    private static string Quote(string name) => "\"" + name + "\"";
}
