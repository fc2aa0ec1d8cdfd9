using System.Net;
using System.Text;

namespace OpenTunnel.Gateway.Firewall;

/// <summary>
/// The nftables table the gateway owns (family inet), as an <c>nft -f</c> script. It only adds
/// its own table: PAT (masquerade) of the pools (IPv4, and IPv6 when configured) towards the egress interfaces (every interface but
/// the TUN device when none is configured) and, unless client-to-client traffic is allowed, a
/// forward rule that drops pool-to-pool packets the kernel would route back into the TUN device.
/// The script first creates then deletes the table, so applying it replaces an old copy
/// atomically and works when none exists.
/// </summary>
public static class NftablesRuleset
{
    public static string Build(string table, string tunDevice, IPNetwork pool, IPNetwork? pool6, IReadOnlyList<string> egressInterfaces, bool allowClientToClient)
    {
        var script = new StringBuilder();
        script.Append("table inet ").Append(table).Append(" {}\n");
        script.Append("delete table inet ").Append(table).Append('\n');
        script.Append("table inet ").Append(table).Append(" {\n");
        script.Append("  chain postrouting {\n");
        script.Append("    type nat hook postrouting priority srcnat; policy accept;\n");
        AppendMasquerade(script, "ip", pool, tunDevice, egressInterfaces);
        if (pool6 is { } p6)
        {
            AppendMasquerade(script, "ip6", p6, tunDevice, egressInterfaces);
        }

        script.Append("  }\n");
        script.Append("  chain forward {\n");
        script.Append("    type filter hook forward priority filter; policy accept;\n");
        if (!allowClientToClient)
        {
            script.Append("    iifname \"").Append(tunDevice).Append("\" oifname \"").Append(tunDevice).Append("\" drop\n");
        }

        script.Append("  }\n");
        script.Append("}\n");
        return script.ToString();
    }

    private static void AppendMasquerade(StringBuilder script, string family, IPNetwork pool, string tunDevice, IReadOnlyList<string> egressInterfaces)
    {
        if (egressInterfaces.Count == 0)
        {
            script.Append("    ").Append(family).Append(" saddr ").Append(pool).Append(" oifname != \"").Append(tunDevice).Append("\" masquerade\n");
            return;
        }

        foreach (string egress in egressInterfaces)
        {
            script.Append("    ").Append(family).Append(" saddr ").Append(pool).Append(" oifname \"").Append(egress).Append("\" masquerade\n");
        }
    }

    /// <summary>The script that removes the table and nothing else.</summary>
    public static string Remove(string table) => $"delete table inet {table}\n";
}
