using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Credentials;

/// <summary>
/// Counts failed sign-ins per user name and per client address in a sliding window
/// (<c>Identity:SignInLockout</c>) and refuses further tries once either reaches its limit, until
/// the oldest failure leaves the window. An attempt is counted before it is checked
/// (<see cref="TryReserve"/>), so parallel attempts cannot outrun the limit; sign-ins in flight
/// from one address hold a slot each until they succeed. In memory: each management replica
/// counts its own, so with N replicas an attacker gets at most N times the limit.
/// </summary>
public sealed class SignInThrottle
{
    /// <summary>Names and addresses tracked at most; past it the oldest-looking entries are dropped first.</summary>
    private const int MaximumEntries = 100_000;

    private readonly Dictionary<string, List<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
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

    /// <summary>
    /// Reserves one attempt for this user name and this address, or says how long they must wait.
    /// The reservation counts as a failure from this moment, in the same lock as the check, so N
    /// parallel guesses cannot all pass the check before the first is counted: at most the limit of
    /// them is ever evaluated. A correct sign-in gives it back with <see cref="RecordSuccess"/>;
    /// a wrong one keeps it.
    /// </summary>
    /// <returns>null when the attempt may go ahead (and is counted); else the wait.</returns>
    public TimeSpan? TryReserve(string userName, string clientAddress)
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            TimeSpan? user = Wait(UserKey(userName), _perUser, now);
            TimeSpan? address = Wait(AddressKey(clientAddress), _perAddress, now);
            if (user is not null || address is not null)
            {
                return user > address || address is null ? user : address;
            }

            if (_failures.Count >= MaximumEntries)
            {
                Prune(now);
            }

            Add(UserKey(userName), now);
            Add(AddressKey(clientAddress), now);
            return null;
        }
    }

    /// <summary>
    /// A correct sign-in clears the name's failures, and gives the address back the attempt it
    /// reserved (not the address's other failures: one address may try many names).
    /// </summary>
    public void RecordSuccess(string userName, string clientAddress)
    {
        lock (_lock)
        {
            _failures.Remove(UserKey(userName));
            if (_failures.TryGetValue(AddressKey(clientAddress), out List<DateTimeOffset>? times) && times.Count > 0)
            {
                times.RemoveAt(times.Count - 1);
            }
        }
    }

    private TimeSpan? Wait(string key, int limit, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out List<DateTimeOffset>? times))
        {
            return null;
        }

        Expire(times, now);
        return times.Count >= limit ? times[0] + _window - now : null;
    }

    private void Add(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out List<DateTimeOffset>? times))
        {
            times = [];
            _failures[key] = times;
        }

        Expire(times, now);
        times.Add(now);
    }

    private void Expire(List<DateTimeOffset> times, DateTimeOffset now)
    {
        int expired = 0;
        while (expired < times.Count && now - times[expired] >= _window)
        {
            expired++;
        }

        times.RemoveRange(0, expired);
    }

    private void Prune(DateTimeOffset now)
    {
        var empty = new List<string>();
        foreach ((string key, List<DateTimeOffset> times) in _failures)
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
