using System.Net;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Ban scores per client (<see cref="ClientAddressKey"/>: an IPv4 address or an IPv6 /64), after
/// ocserv's ban-points: refused sign-ins and malformed requests add points; a score that reaches
/// the threshold bans the client for a time, and the listener closes its connections before the
/// TLS handshake. A score is forgotten after a quiet period without new points. An operator lists
/// the table (<see cref="Snapshot"/>, the <c>bans</c> verb) and clears a client (<see cref="Unban"/>).
/// The table holds at most <see cref="Capacity"/> clients, least recently scored or refused
/// forgotten first (<see cref="RecentClientTable{TEntry}"/>, as <see cref="AuthRateLimiter"/>), so a
/// flood of addresses costs bounded memory; a banned client that keeps connecting stays recent.
/// Scores and bans are timed on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), so a
/// step of the system clock neither ends a ban early nor makes it last longer; the wall-clock times
/// this class hands out (a ban's end, a score's last point) are for display. Thread-safe.
/// </summary>
public sealed class BanList
{
    /// <summary>Clients remembered when the constructor is given no capacity: a few MB at most.</summary>
    public const int DefaultCapacity = 65_536;

    private readonly RecentClientTable<Entry> _entries;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public BanList(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _entries = new RecentClientTable<Entry>(capacity, () => new Entry());
    }

    /// <summary>Most clients the table holds.</summary>
    public int Capacity => _entries.Capacity;

    /// <summary>Clients banned now.</summary>
    public int BannedCount
    {
        get
        {
            long now = _time.GetTimestamp();
            int banned = 0;
            lock (_gate)
            {
                foreach (var (_, entry) in _entries.Entries)
                {
                    if (entry.BannedUntil > now)
                    {
                        banned++;
                    }
                }
            }

            return banned;
        }
    }

    /// <summary>
    /// Adds <paramref name="points"/> to the score of <paramref name="client"/> under
    /// <paramref name="policy"/>; returns when the client is banned until, if these points banned
    /// it (null otherwise: no bans, no points, below the threshold or banned already).
    /// </summary>
    public DateTimeOffset? AddPoints(IPAddress client, int points, BanPolicy policy)
    {
        if (points <= 0 || policy.Threshold <= 0)
        {
            return null;
        }

        var key = ClientAddressKey.From(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            Entry entry = _entries.TouchOrAdd(key, out bool added);
            if (!added && entry.BannedUntil > now)
            {
                return null;
            }

            if (added || entry.BannedUntil != NeverBanned || _time.GetElapsedTime(entry.LastPointAt, now) >= policy.ScoreReset)
            {
                // A new client, a ban that ran out, or a quiet period: the score starts over.
                entry.Score = 0;
                entry.BannedUntil = NeverBanned;
            }

            entry.Score = (int)Math.Min((long)entry.Score + points, int.MaxValue);
            entry.LastPointAt = now;
            if (entry.Score < policy.Threshold)
            {
                return null;
            }

            entry.BannedUntil = now + Ticks(policy.Duration);
            return _time.GetUtcNow() + policy.Duration;
        }
    }

    /// <summary>True while <paramref name="client"/> is banned; a hit keeps the entry recent.</summary>
    public bool IsBanned(IPAddress client)
    {
        var key = ClientAddressKey.From(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_entries.TryPeek(key, out Entry? entry) || entry.BannedUntil <= now)
            {
                return false;
            }

            // Only a banned client is made recent: it stays in the table while it keeps coming.
            _entries.TryTouch(key, out _);
            return true;
        }
    }

    /// <summary>Forgets the score and any ban of <paramref name="client"/>; false when the table held nothing for it.</summary>
    public bool Unban(ClientAddressKey client)
    {
        lock (_gate)
        {
            return _entries.Remove(client);
        }
    }

    /// <summary>Every client with a live score or ban, banned ones first, then by score.</summary>
    public IReadOnlyList<BanEntry> Snapshot(BanPolicy policy)
    {
        long now = _time.GetTimestamp();
        DateTimeOffset wallNow = _time.GetUtcNow();
        var list = new List<BanEntry>();
        lock (_gate)
        {
            foreach (var (key, entry) in _entries.Entries)
            {
                bool banned = entry.BannedUntil > now;
                TimeSpan sinceLastPoint = _time.GetElapsedTime(entry.LastPointAt, now);
                bool scored = entry.BannedUntil == NeverBanned && sinceLastPoint < policy.ScoreReset;
                if (banned || scored)
                {
                    list.Add(new BanEntry(key, entry.Score, wallNow - sinceLastPoint, banned ? wallNow + _time.GetElapsedTime(now, entry.BannedUntil) : null));
                }
            }
        }

        list.Sort((a, b) => (a.BannedUntil is null) != (b.BannedUntil is null) ? (a.BannedUntil is null ? 1 : -1) : b.Score.CompareTo(a.Score));
        return list;
    }

    /// <summary>The <see cref="Entry.BannedUntil"/> of a client not banned since its score started.</summary>
    private const long NeverBanned = long.MinValue;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed class Entry
    {
        public int Score { get; set; }

        /// <summary>Monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last points.</summary>
        public long LastPointAt { get; set; }

        /// <summary>Monotonic timestamp the ban ends at; <see cref="NeverBanned"/> when not banned since the score started.</summary>
        public long BannedUntil { get; set; } = NeverBanned;
    }
}

/// <summary>The ban settings in force (from <c>Limits:BanScore</c>, <c>BanScoreResetSeconds</c>, <c>BanSeconds</c>).</summary>
public readonly record struct BanPolicy(int Threshold, TimeSpan ScoreReset, TimeSpan Duration)
{
    public static BanPolicy From(Configuration.LimitOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return new BanPolicy(limits.BanScore, TimeSpan.FromSeconds(limits.BanScoreResetSeconds), TimeSpan.FromSeconds(limits.BanSeconds));
    }
}

/// <summary>One client of the ban table: its score, when it last earned points, and its ban's end if banned now.</summary>
public sealed record BanEntry(ClientAddressKey Client, int Score, DateTimeOffset LastPointAt, DateTimeOffset? BannedUntil);
