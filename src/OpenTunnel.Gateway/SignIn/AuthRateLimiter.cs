using System.Net;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Limits token checks per client address to a number per minute (a fixed one-minute window),
/// so a client cannot make the gateway validate tokens, or fetch keys, without end. Like
/// ocserv's rate-limit-ms it refuses rather than queues. Thread-safe.
/// </summary>
public sealed class AuthRateLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<IPAddress, (DateTimeOffset WindowStart, int Count)> _attempts = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public AuthRateLimiter(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Counts one attempt from <paramref name="client"/>; false when it is over <paramref name="perMinute"/> (0: no limit).</summary>
    public bool TryAcquire(IPAddress client, int perMinute)
    {
        if (perMinute <= 0)
        {
            return true;
        }

        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_attempts.Count > 10000)
            {
                Prune(now);
            }

            if (!_attempts.TryGetValue(client, out var entry) || now - entry.WindowStart >= Window)
            {
                _attempts[client] = (now, 1);
                return true;
            }

            if (entry.Count >= perMinute)
            {
                return false;
            }

            _attempts[client] = (entry.WindowStart, entry.Count + 1);
            return true;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        var stale = new List<IPAddress>();
        foreach (var (address, entry) in _attempts)
        {
            if (now - entry.WindowStart >= Window)
            {
                stale.Add(address);
            }
        }

        foreach (var address in stale)
        {
            _attempts.Remove(address);
        }
    }
}
