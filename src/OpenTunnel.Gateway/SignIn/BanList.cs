using System.Net;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Ban scores per client (<see cref="ClientAddressKey"/>: an IPv4 address or an IPv6 /64), after
/// ocserv's ban-points: refused sign-ins and malformed requests add points; a score that reaches
/// the threshold bans the client for a time, and the listener closes its connections before the
/// TLS handshake. A score is forgotten after a quiet period without new points. An operator lists
/// the table (<see cref="Snapshot"/>, the <c>bans</c> verb) and clears a client (<see cref="Unban"/>).
/// The table holds at most <see cref="Capacity"/> clients, least recently scored or refused
/// forgotten first (as <see cref="AuthRateLimiter"/>), so a flood of addresses costs bounded
/// memory; a banned client that keeps connecting stays recent. Thread-safe.
/// </summary>
public sealed class BanList
{
    /// <summary>Clients remembered when the constructor is given no capacity: a few MB at most.</summary>
    public const int DefaultCapacity = 65_536;

    private readonly Dictionary<ClientAddressKey, LinkedListNode<Entry>> _entries;

    // Least recently touched first: the node to forget is always the first one.
    private readonly LinkedList<Entry> _recent = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public BanList(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        Capacity = capacity;
        _entries = new Dictionary<ClientAddressKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    /// <summary>Most clients the table holds.</summary>
    public int Capacity { get; }

    /// <summary>Clients banned now.</summary>
    public int BannedCount
    {
        get
        {
            DateTimeOffset now = _time.GetUtcNow();
            int banned = 0;
            lock (_gate)
            {
                foreach (var node in _recent)
                {
                    if (node.BannedUntil > now)
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
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            Entry entry = Touch(key, now);
            if (entry.BannedUntil > now)
            {
                return null;
            }

            if (entry.BannedUntil != DateTimeOffset.MinValue || now - entry.LastPointAt >= policy.ScoreReset)
            {
                // A ban that ran out, or a quiet period, starts the score over.
                entry.Score = 0;
                entry.BannedUntil = DateTimeOffset.MinValue;
            }

            entry.Score = (int)Math.Min((long)entry.Score + points, int.MaxValue);
            entry.LastPointAt = now;
            if (entry.Score < policy.Threshold)
            {
                return null;
            }

            entry.BannedUntil = now + policy.Duration;
            return entry.BannedUntil;
        }
    }

    /// <summary>True while <paramref name="client"/> is banned; a hit keeps the entry recent.</summary>
    public bool IsBanned(IPAddress client)
    {
        var key = ClientAddressKey.From(client);
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out LinkedListNode<Entry>? node) || node.Value.BannedUntil <= now)
            {
                return false;
            }

            _recent.Remove(node);
            _recent.AddLast(node);
            return true;
        }
    }

    /// <summary>Forgets the score and any ban of <paramref name="client"/>; false when the table held nothing for it.</summary>
    public bool Unban(ClientAddressKey client)
    {
        lock (_gate)
        {
            if (!_entries.Remove(client, out LinkedListNode<Entry>? node))
            {
                return false;
            }

            _recent.Remove(node);
            return true;
        }
    }

    /// <summary>Every client with a live score or ban, banned ones first, then by score.</summary>
    public IReadOnlyList<BanEntry> Snapshot(BanPolicy policy)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var list = new List<BanEntry>();
        lock (_gate)
        {
            foreach (var entry in _recent)
            {
                bool banned = entry.BannedUntil > now;
                bool scored = entry.BannedUntil == DateTimeOffset.MinValue && now - entry.LastPointAt < policy.ScoreReset;
                if (banned || scored)
                {
                    list.Add(new BanEntry(entry.Key, entry.Score, entry.LastPointAt, banned ? entry.BannedUntil : null));
                }
            }
        }

        list.Sort((a, b) => (a.BannedUntil is null) != (b.BannedUntil is null) ? (a.BannedUntil is null ? 1 : -1) : b.Score.CompareTo(a.Score));
        return list;
    }

    private Entry Touch(ClientAddressKey key, DateTimeOffset now)
    {
        if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node))
        {
            _recent.Remove(node);
            _recent.AddLast(node);
            return node.Value;
        }

        if (_entries.Count >= Capacity)
        {
            node = _recent.First!;
            _recent.RemoveFirst();
            _entries.Remove(node.Value.Key);
            node.Value.Reset(key, now);
        }
        else
        {
            node = new LinkedListNode<Entry>(new Entry(key, now));
        }

        _recent.AddLast(node);
        _entries.Add(key, node);
        return node.Value;
    }

    private sealed class Entry(ClientAddressKey key, DateTimeOffset now)
    {
        public ClientAddressKey Key { get; private set; } = key;

        public int Score { get; set; }

        public DateTimeOffset LastPointAt { get; set; } = now;

        /// <summary>MinValue: never banned since the score started.</summary>
        public DateTimeOffset BannedUntil { get; set; } = DateTimeOffset.MinValue;

        public void Reset(ClientAddressKey key, DateTimeOffset now)
        {
            Key = key;
            Score = 0;
            LastPointAt = now;
            BannedUntil = DateTimeOffset.MinValue;
        }
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
