using System.Net;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Limits token checks per client (<see cref="ClientAddressKey"/>: an IPv4 address or an IPv6
/// /64) to a number per minute (a fixed one-minute window), so a client cannot make the gateway
/// validate tokens, or fetch keys, without end. Like ocserv's rate-limit-ms it refuses rather
/// than queues. The table holds at most <see cref="Capacity"/> clients: past that, the client
/// seen least recently is forgotten, in constant time, so a flood of addresses costs neither
/// unbounded memory nor a scan of the table under the lock. Windows are timed on the monotonic clock
/// (<see cref="TimeProvider.GetTimestamp"/>): a step of the system clock neither ends a window early
/// nor stretches it. Thread-safe.
/// </summary>
public sealed class AuthRateLimiter
{
    /// <summary>Clients remembered when the constructor is given no capacity: about 6 MB at most.</summary>
    public const int DefaultCapacity = 65_536;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly RecentClientTable<Entry> _entries;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public AuthRateLimiter(TimeProvider time, int capacity = DefaultCapacity)
    {
        _time = time;
        _entries = new RecentClientTable<Entry>(capacity, () => new Entry());
    }

    /// <summary>Most clients the table holds.</summary>
    public int Capacity => _entries.Capacity;

    /// <summary>Clients the table holds now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Counts one attempt from <paramref name="client"/>; false when it is over <paramref name="perMinute"/> (0: no limit).</summary>
    public bool TryAcquire(IPAddress client, int perMinute)
    {
        if (perMinute <= 0)
        {
            return true;
        }

        var key = ClientAddressKey.From(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            Entry entry = _entries.TouchOrAdd(key, out bool added);
            if (added || _time.GetElapsedTime(entry.WindowStart, now) >= Window)
            {
                entry.WindowStart = now;
                entry.Count = 1;
                return true;
            }

            if (entry.Count >= perMinute)
            {
                return false;
            }

            entry.Count++;
            return true;
        }
    }

    private sealed class Entry
    {
        /// <summary>Monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) the window began at.</summary>
        public long WindowStart { get; set; }

        public int Count { get; set; }
    }
}
