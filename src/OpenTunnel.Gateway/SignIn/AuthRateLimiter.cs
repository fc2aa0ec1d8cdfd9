using System.Net;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Limits token checks per client (<see cref="ClientAddressKey"/>: an IPv4 address or an IPv6
/// /64) to a number per minute (a fixed one-minute window), so a client cannot make the gateway
/// validate tokens, or fetch keys, without end. Like ocserv's rate-limit-ms it refuses rather
/// than queues. The table holds at most <see cref="Capacity"/> clients: past that, the client
/// seen least recently is forgotten, in constant time, so a flood of addresses costs neither
/// unbounded memory nor a scan of the table under the lock. Thread-safe.
/// </summary>
public sealed class AuthRateLimiter
{
    /// <summary>Clients remembered when the constructor is given no capacity: about 6 MB at most.</summary>
    public const int DefaultCapacity = 65_536;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<ClientAddressKey, LinkedListNode<Entry>> _entries;

    // Least recently seen first: the node to forget is always the first one.
    private readonly LinkedList<Entry> _recent = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public AuthRateLimiter(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        Capacity = capacity;
        _entries = new Dictionary<ClientAddressKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    /// <summary>Most clients the table holds.</summary>
    public int Capacity { get; }

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
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                _recent.Remove(node);
                _recent.AddLast(node);
                Entry entry = node.Value;
                if (now - entry.WindowStart >= Window)
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
            return true;
        }
    }

    private sealed class Entry(ClientAddressKey key, DateTimeOffset windowStart)
    {
        public ClientAddressKey Key { get; private set; } = key;

        public DateTimeOffset WindowStart { get; set; } = windowStart;

        public int Count { get; set; } = 1;

        public void Reset(ClientAddressKey key, DateTimeOffset windowStart)
        {
            Key = key;
            WindowStart = windowStart;
            Count = 1;
        }
    }
}
