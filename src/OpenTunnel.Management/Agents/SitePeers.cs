using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Agents;

/// <summary>What the peer list is made from: one server of a site and its newest telemetry.</summary>
public sealed record PeerSource(Guid ServerId, string? PublicAddress, ServerState State, ServerHealth Health, int? ActiveSessions, double? CpuPercent, bool SampleDraining, DateTime? ReceivedAt);

/// <summary>A site's published peer list: each server's entry by its id, and when it was published.</summary>
public sealed record PublishedPeers(IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)> Entries, DateTime At)
{
    /// <summary>The list a server is given: every entry but its own.</summary>
    public IReadOnlyList<PeerConfiguration> For(Guid serverId)
    {
        var peers = new List<PeerConfiguration>(Entries.Count);
        foreach (var (id, peer) in Entries)
        {
            if (id != serverId)
            {
                peers.Add(peer);
            }
        }

        return peers;
    }
}

/// <summary>
/// The peer lists of load-aware sign-in, pure: which servers of a site are listed, and when a new
/// list is worth publishing. Every publication changes the effective configuration of the site's
/// servers, so it wakes the agents' long polls and has each gateway apply a document: its rate is
/// bounded. A change of the ranking (which server has the fewest sessions) or of which servers can
/// take sign-ins (health, drain) is published at once but at most every
/// <see cref="MinimumInterval"/>; new figures alone (sessions, CPU, report times) at most every
/// Management:Agents:PeerRefreshSeconds.
/// </summary>
public static class PeerLists
{
    /// <summary>The shortest time between two publications of one site's list, whatever changed.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The entries of a site: servers with a public address and a telemetry report, by address.
    /// Healthy means healthy or a warning; an offline server is unhealthy; draining means the
    /// administrator drained it or its gateway said so.
    /// </summary>
    public static List<(Guid ServerId, PeerConfiguration Peer)> Build(IEnumerable<PeerSource> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var entries = new List<(Guid, PeerConfiguration)>();
        foreach (PeerSource server in servers)
        {
            if (string.IsNullOrEmpty(server.PublicAddress) || server.ReceivedAt is not { } at)
            {
                continue;
            }

            bool healthy = server.Health is ServerHealth.Healthy or ServerHealth.Warning && server.State != ServerState.Offline;
            bool draining = server.State == ServerState.Draining || server.SampleDraining;
            entries.Add((server.ServerId, new PeerConfiguration(server.PublicAddress, Math.Max(0, server.ActiveSessions ?? 0), server.CpuPercent, healthy, draining, at)));
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Item2.Address, b.Item2.Address));
        return entries;
    }

    /// <summary>Whether <paramref name="next"/> replaces <paramref name="previous"/> (published at <paramref name="publishedAt"/>) now.</summary>
    public static bool ShouldPublish(IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)>? previous, IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)> next, DateTime publishedAt, DateTime now, TimeSpan refresh)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (previous is null)
        {
            return true;
        }

        TimeSpan age = now - publishedAt;
        if (age < MinimumInterval || Same(previous, next))
        {
            return false;
        }

        return Ranking(previous) != Ranking(next) || age >= refresh;
    }

    /// <summary>The servers that can take sign-ins, fewest sessions first (then least CPU, then address), as one string to compare.</summary>
    public static string Ranking(IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var eligible = new List<PeerConfiguration>();
        foreach (var (_, peer) in entries)
        {
            if (peer.Healthy && !peer.Draining)
            {
                eligible.Add(peer);
            }
        }

        eligible.Sort((a, b) =>
        {
            int bySessions = a.Sessions.CompareTo(b.Sessions);
            if (bySessions != 0)
            {
                return bySessions;
            }

            int byCpu = (a.CpuPercent ?? 100).CompareTo(b.CpuPercent ?? 100);
            return byCpu != 0 ? byCpu : string.CompareOrdinal(a.Address, b.Address);
        });
        return string.Join(' ', eligible.Select(p => p.Address));
    }

    private static bool Same(IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)> a, IReadOnlyList<(Guid ServerId, PeerConfiguration Peer)> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Each site's published peer list, held by this replica. A telemetry report refreshes its site's
/// list (<see cref="RefreshAsync"/>) and, when <see cref="PeerLists.ShouldPublish"/> says so,
/// publishes it and wakes the waiting polls; a poll reads the published list
/// (<see cref="GetAsync"/>), building it from the database when this replica has none yet or
/// holds one older than Management:Agents:PeerRefreshSeconds (telemetry that reached another replica).
/// </summary>
public sealed class SitePeers(ChangeFeed feed, IOptions<AgentLinkOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, PublishedPeers> _sites = new();

    private TimeSpan Refresh => TimeSpan.FromSeconds(options.Value.PeerRefreshSeconds);

    /// <summary>The published list of <paramref name="siteId"/>.</summary>
    public async Task<PublishedPeers> GetAsync(Guid siteId, ManagementDbContext db, CancellationToken cancellationToken)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        if (_sites.TryGetValue(siteId, out PublishedPeers? published) && now - published.At < Refresh)
        {
            return published;
        }

        var entries = PeerLists.Build(await ReadAsync(siteId, db, cancellationToken));
        if (published is not null && !PeerLists.ShouldPublish(published.Entries, entries, published.At, now, Refresh))
        {
            return published;
        }

        bool changed = published is not null;
        published = new PublishedPeers(entries, now);
        _sites[siteId] = published;
        if (changed)
        {
            // The site's other polls wait with the list before: they answer now, not at their time-out.
            feed.Notify();
        }

        return published;
    }

    /// <summary>Reads the site's servers again after a report of one of them; publishes and wakes the polls when the list is worth it.</summary>
    public async Task RefreshAsync(Guid siteId, ManagementDbContext db, CancellationToken cancellationToken)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        _sites.TryGetValue(siteId, out PublishedPeers? published);
        if (published is not null && now - published.At < PeerLists.MinimumInterval)
        {
            return;
        }

        var entries = PeerLists.Build(await ReadAsync(siteId, db, cancellationToken));
        if (!PeerLists.ShouldPublish(published?.Entries, entries, published?.At ?? default, now, Refresh))
        {
            return;
        }

        _sites[siteId] = new PublishedPeers(entries, now);
        feed.Notify();
    }

    private static async Task<List<PeerSource>> ReadAsync(Guid siteId, ManagementDbContext db, CancellationToken cancellationToken)
    {
        var servers = await db.Servers.AsNoTracking()
            .Where(s => s.SiteId == siteId && s.PublicAddress != null)
            .Select(s => new { s.Id, s.PublicAddress, s.State, s.Health })
            .ToListAsync(cancellationToken);
        var sources = new List<PeerSource>(servers.Count);
        foreach (var server in servers)
        {
            var latest = await db.ServerTelemetry.AsNoTracking()
                .Where(t => t.ServerId == server.Id)
                .OrderByDescending(t => t.Sequence)
                .Select(t => new { t.ReceivedAt, t.Sample })
                .FirstOrDefaultAsync(cancellationToken);
            sources.Add(new PeerSource(server.Id, server.PublicAddress, server.State, server.Health,
                latest?.Sample.ActiveSessions, latest?.Sample.CpuPercent, latest?.Sample.Draining ?? false, latest?.ReceivedAt));
        }

        return sources;
    }
}
