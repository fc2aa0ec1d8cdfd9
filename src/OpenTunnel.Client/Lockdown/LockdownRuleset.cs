using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OpenTunnel.Client.Lockdown;

/// <summary>
/// The kill switch of an always-on profile with lockdown (pure code): the client's own nftables table
/// <c>inet opentunnel-lockdown</c>, whose output chain drops everything this machine would send
/// except loopback, what goes through the tunnel's device, what goes to the gateway (so the tunnel
/// can come back) and to the management service (the gateway token comes from its identity
/// provider), and the link-local essentials: DHCP and DHCPv6 requests, IPv6 neighbour and router
/// solicitations, neighbour advertisements and MLDv2 reports (ARP is not in the inet family and is
/// never touched). The script replaces the table atomically (one <c>nft -f</c> transaction). The
/// table is kernel state: it stays when the client is killed, and goes only when it is deleted.
/// </summary>
public static class LockdownRuleset
{
    public const string Family = "inet";

    public const string Table = "opentunnel-lockdown";

    /// <summary>The device name connect gives openconnect's tunnel under lockdown when the options after -- name none.</summary>
    public const string DefaultDevice = "opentunnel0";

    /// <param name="device">The tunnel's device (its traffic is let out).</param>
    /// <param name="allowed">The gateway's and the management service's addresses.</param>
    public static string Build(string device, IReadOnlyCollection<IPAddress> allowed)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentNullException.ThrowIfNull(allowed);
        if (device.Length > 15 || device.Any(c => c is '"' or '\\' or ' ' or '/' or '\n'))
        {
            throw new ArgumentException($"'{device}' is not a network device name (at most 15 characters, no quotes, spaces or slashes).", nameof(device));
        }

        var text = new StringBuilder();
        // "add table" first so that "delete table" never fails, all in one transaction.
        text.Append($"add table {Family} {Table}\ndelete table {Family} {Table}\n");
        text.Append($"table {Family} {Table} {{\n");
        text.Append("  chain output {\n");
        text.Append("    type filter hook output priority filter; policy drop;\n");
        text.Append("    oifname \"lo\" accept\n");
        text.Append($"    oifname \"{device}\" accept\n");
        AppendAddresses(text, "ip", allowed.Where(a => a.AddressFamily == AddressFamily.InterNetwork));
        AppendAddresses(text, "ip6", allowed.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6));
        text.Append("    udp sport 68 udp dport 67 accept comment \"DHCP\"\n");
        text.Append("    udp sport 546 udp dport 547 accept comment \"DHCPv6\"\n");
        text.Append("    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } accept comment \"neighbour discovery\"\n");
        text.Append("    counter drop comment \"lockdown\"\n");
        text.Append("  }\n}\n");
        return text.ToString();
    }

    private static void AppendAddresses(StringBuilder text, string family, IEnumerable<IPAddress> addresses)
    {
        string list = string.Join(", ", addresses.Distinct());
        if (list.Length > 0)
        {
            text.Append($"    {family} daddr {{ {list} }} accept\n");
        }
    }
}
