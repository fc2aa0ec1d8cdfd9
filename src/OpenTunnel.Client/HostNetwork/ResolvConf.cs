using System.Text;

namespace OpenTunnel.Client.HostNetwork;

/// <summary>
/// The /etc/resolv.conf the client writes while the tunnel is up, when systemd-resolved does not
/// run (then DNS is per link, through resolvectl): the tunnel's servers, then the search domains.
/// The file it replaces is kept byte for byte in the state file and written back at the end.
/// </summary>
public static class ResolvConf
{
    /// <summary>The first line, by which a file this client wrote is recognised.</summary>
    public const string Marker = "# Written by opentunnel connect while its tunnel is up; the previous file comes back when it ends.";

    /// <summary>glibc reads at most three name servers (resolv.conf(5), MAXNS).</summary>
    public const int MaxServers = 3;

    public static string Render(TunnelLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var text = new StringBuilder(Marker).Append('\n');
        foreach (var server in lease.DnsServers.Take(MaxServers))
        {
            text.Append("nameserver ").Append(server).Append('\n');
        }

        var domains = new List<string>();
        if (lease.DefaultDomain is not null)
        {
            domains.Add(lease.DefaultDomain);
        }

        domains.AddRange(lease.SplitDns.Where(d => !domains.Contains(d)));
        if (domains.Count > 0)
        {
            text.Append("search ").Append(string.Join(' ', domains)).Append('\n');
        }

        return text.ToString();
    }
}
