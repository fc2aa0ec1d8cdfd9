using System.Globalization;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Health;

/// <summary>One server's state as the site sees it.</summary>
public sealed record SiteServerHealth(Guid Id, string Name, ServerHealth State, IReadOnlyList<string> Reasons);

/// <summary>A site's state with the reason for it.</summary>
public sealed record SiteHealthReport(ServerHealth State, string Reason, IReadOnlyList<SiteServerHealth> Servers);

/// <summary>
/// A site serves as long as one of its servers does: healthy when every server is healthy,
/// unhealthy when none is, and a warning in between. A site without servers is unknown.
/// </summary>
public static class SiteHealthEvaluator
{
    public static SiteHealthReport Evaluate(IReadOnlyList<SiteServerHealth> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Count == 0)
        {
            return new SiteHealthReport(ServerHealth.Unknown, "The site has no servers.", servers);
        }

        var notHealthy = new List<string>();
        foreach (SiteServerHealth server in servers)
        {
            if (server.State != ServerHealth.Healthy)
            {
                notHealthy.Add($"{server.Name} ({server.State.ToString().ToLowerInvariant()})");
            }
        }

        if (notHealthy.Count == 0)
        {
            return new SiteHealthReport(ServerHealth.Healthy, string.Create(CultureInfo.InvariantCulture, $"All {servers.Count} servers are healthy."), servers);
        }

        string list = string.Join(", ", notHealthy);
        return notHealthy.Count == servers.Count
            ? new SiteHealthReport(ServerHealth.Unhealthy, $"No server of the site is healthy: {list}.", servers)
            : new SiteHealthReport(ServerHealth.Warning, string.Create(CultureInfo.InvariantCulture, $"{notHealthy.Count} of {servers.Count} servers are not healthy: {list}."), servers);
    }
}
