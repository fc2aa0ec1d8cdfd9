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
/// none) minus the split-exclude networks, DNS to the pushed servers excepted;</item>
/// <item>with <see cref="FirewallPolicy.PerSession"/> (group policies) instead, rules that hold each
/// session to its own routes: sets keyed by the session's address and a destination network
/// (<c>allowed4</c>, <c>denied4</c>, and the IPv6 twins) and a set of the sessions with all traffic
/// (<c>open4</c>, <c>open6</c>); a packet from a pool address that is in neither is dropped, so a
/// session whose rules are not installed yet reaches nothing. Two set lookups per forwarded packet;
/// the drops are counted in the named counter <c>policy_drops</c>. Sessions come and go by
/// <see cref="SessionElements"/> without rewriting the table.</item>
/// </list>
/// The script first creates then deletes the table, so applying it replaces an old copy
/// atomically and works when none exists.
/// </summary>
public static class NftablesRuleset
{
    /// <summary>The named counter of packets dropped by the per-session rules.</summary>
    public const string PolicyDropCounter = "policy_drops";

    public static string Build(string table, FirewallPolicy policy, IEnumerable<SessionRules>? sessions = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string tun = Quote(policy.TunDevice);
        var script = new StringBuilder();
        script.Append("table inet ").Append(table).Append(" {}\n");
        script.Append("delete table inet ").Append(table).Append('\n');
        script.Append("table inet ").Append(table).Append(" {\n");
        if (policy.PerSession)
        {
            script.Append("  counter ").Append(PolicyDropCounter).Append(" {}\n");
            var elements = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (SessionRules session in sessions ?? [])
            {
                foreach ((string set, string element) in session.Elements())
                {
                    (elements.TryGetValue(set, out List<string>? list) ? list : elements[set] = []).Add(element);
                }
            }

            foreach ((string name, string type) in (ReadOnlySpan<(string, string)>)[("open4", "ipv4_addr"), ("open6", "ipv6_addr"), ("allowed4", "ipv4_addr . ipv4_addr"), ("denied4", "ipv4_addr . ipv4_addr"), ("allowed6", "ipv6_addr . ipv6_addr"), ("denied6", "ipv6_addr . ipv6_addr")])
            {
                script.Append("  set ").Append(name).Append(" {\n    type ").Append(type).Append(';');
                script.Append(name.StartsWith("open", StringComparison.Ordinal) ? string.Empty : " flags interval;");
                if (elements.TryGetValue(name, out List<string>? list))
                {
                    script.Append(" elements = { ").AppendJoin(", ", list).Append(" }");
                }

                script.Append("\n  }\n");
            }
        }
        else if (policy.RestrictToRoutes)
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

        if (policy.PerSession)
        {
            string fromClient = $"    iifname {tun} oifname != {tun} ";
            AppendDnsAccept(script, fromClient, policy.DnsServers);
            foreach ((string family, string suffix) in (ReadOnlySpan<(string, string)>)[("ip", "4"), ("ip6", "6")])
            {
                string drop = $" counter name \"{PolicyDropCounter}\" drop\n";
                script.Append(fromClient).Append(family).Append(" saddr . ").Append(family).Append(" daddr @denied").Append(suffix).Append(drop);
                script.Append(fromClient).Append(family).Append(" saddr != @open").Append(suffix).Append(' ')
                    .Append(family).Append(" saddr . ").Append(family).Append(" daddr != @allowed").Append(suffix).Append(drop);
            }
        }
        else if (policy.RestrictToRoutes)
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

    /// <summary>
    /// The script that adds (or deletes) one session's elements in the table's per-session sets,
    /// one nft transaction; empty when the session has none.
    /// </summary>
    public static string SessionElements(string table, SessionRules session, bool add)
    {
        ArgumentNullException.ThrowIfNull(session);
        var script = new StringBuilder();
        string verb = add ? "add" : "delete";
        foreach ((string set, string element) in session.Elements())
        {
            script.Append(verb).Append(" element inet ").Append(table).Append(' ').Append(set).Append(" { ").Append(element).Append(" }\n");
        }

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
