using System.Net;
using System.Text;
using OpenTunnel.Client.HostNetwork;

namespace OpenTunnel.Client.OnDemand;

/// <summary>
/// /etc/resolv.conf while on-demand runs: the stub as the only name server, the network's own
/// search and options lines kept; and what the network's resolv.conf says (its servers, the
/// upstream the stub forwards to, and its search domains, the network's DNS suffix).
/// </summary>
public static class StubResolvConf
{
    /// <summary>The first line, by which the file on-demand wrote is told from one a DHCP client or network manager wrote since.</summary>
    public const string Marker = "# Written by opentunnel on-demand: names go to its DNS stub; the previous file comes back when it ends.";

    public static string Render(IPAddress stub, string network)
    {
        ArgumentNullException.ThrowIfNull(stub);
        ArgumentNullException.ThrowIfNull(network);
        var text = new StringBuilder(Marker).Append('\n').Append("nameserver ").Append(stub).Append('\n');
        foreach (string line in network.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("search", StringComparison.Ordinal) || trimmed.StartsWith("domain", StringComparison.Ordinal) || trimmed.StartsWith("options", StringComparison.Ordinal))
            {
                text.Append(trimmed).Append('\n');
            }
        }

        return text.ToString();
    }

    public static bool IsStub(string text) => text.StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>The name servers of a resolv.conf (resolv.conf(5): <c>nameserver ADDRESS</c>, at most three are used).</summary>
    public static IReadOnlyList<IPAddress> Servers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPAddress>();
        foreach (string[] words in Lines(text))
        {
            if (words is ["nameserver", var address, ..] && IPAddress.TryParse(address, out IPAddress? server) && servers.Count < ResolvConf.MaxServers)
            {
                servers.Add(server);
            }
        }

        return servers;
    }

    /// <summary>The search domains: the last <c>search</c> or <c>domain</c> line wins (resolv.conf(5)).</summary>
    public static IReadOnlyList<string> SearchDomains(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<string> domains = [];
        foreach (string[] words in Lines(text))
        {
            if (words.Length > 1 && words[0] is "search" or "domain")
            {
                domains = words[1..];
            }
        }

        return domains;
    }

    private static IEnumerable<string[]> Lines(string text) =>
        text.Split('\n').Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 0 && !w[0].StartsWith('#') && !w[0].StartsWith(';'));
}
