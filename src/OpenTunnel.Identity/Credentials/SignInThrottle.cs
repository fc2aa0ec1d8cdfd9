using OpenTunnel.Identity.Hosting;

namespace OpenTunnel.Identity.Credentials;

/// <summary>
/// Counts failed sign-ins per user name and per client address in a sliding window
/// (<c>Identity:SignInLockout</c>) and refuses further tries once either reaches its limit, until
/// the oldest failure leaves the window. In memory: each management replica counts its own, so
/// with N replicas an attacker gets at most N times the limit.
/// </summary>
public sealed class SignInThrottle
{
    /// <summary>Names and addresses tracked at most; past it the oldest-looking entries are dropped first.</summary>
    private const int MaximumEntries = 100_000;

    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly int _perUser;
    private readonly int _perAddress;

    public SignInThrottle(IdentityProviderOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _window = options.SignInLockout;
        _perUser = options.MaximumFailedSignInsPerUser;
        _perAddress = options.MaximumFailedSignInsPerAddress;
    }

    /// <summary>How long this user name or this address must wait before trying again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string userName, string clientAddress)
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            TimeSpan? user = Wait(UserKey(userName), _perUser, now);
            TimeSpan? address = Wait(AddressKey(clientAddress), _perAddress, now);
            return user > address || address is null ? user : address;
        }
    }

    public void RecordFailure(string userName, string clientAddress)
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_failures.Count >= MaximumEntries)
            {
                Prune(now);
            }

            Add(UserKey(userName), now);
            Add(AddressKey(clientAddress), now);
        }
    }

    /// <summary>A correct sign-in clears the name's failures (not the address's: one address may try many names).</summary>
    public void RecordSuccess(string userName)
    {
        lock (_lock)
        {
            _failures.Remove(UserKey(userName));
        }
    }

    private TimeSpan? Wait(string key, int limit, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out Queue<DateTimeOffset>? times))
        {
            return null;
        }

        Expire(times, now);
        return times.Count >= limit ? times.Peek() + _window - now : null;
    }

    private void Add(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out Queue<DateTimeOffset>? times))
        {
            times = new Queue<DateTimeOffset>();
            _failures[key] = times;
        }

        Expire(times, now);
        times.Enqueue(now);
    }

    private void Expire(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.Count > 0 && now - times.Peek() >= _window)
        {
            times.Dequeue();
        }
    }

    private void Prune(DateTimeOffset now)
    {
        var empty = new List<string>();
        foreach ((string key, Queue<DateTimeOffset> times) in _failures)
        {
            Expire(times, now);
            if (times.Count == 0)
            {
                empty.Add(key);
            }
        }

        foreach (string key in empty)
        {
            _failures.Remove(key);
        }

        if (_failures.Count >= MaximumEntries)
        {
            // Still full of live entries (a spray from many addresses): forget them rather than grow without bound.
            _failures.Clear();
        }
    }

    private static string UserKey(string userName) => "u:" + userName.ToUpperInvariant();

    private static string AddressKey(string clientAddress) => "a:" + clientAddress;
}
