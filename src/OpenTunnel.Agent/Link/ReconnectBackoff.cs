namespace OpenTunnel.Agent.Link;

/// <summary>
/// The waits between attempts while something keeps failing: the ceiling starts at
/// <c>first</c> and doubles after each failure up to <c>maximum</c>, and each wait is drawn
/// evenly between half the ceiling and the ceiling ("equal jitter"). Agents that lost the
/// management service at the same moment (it restarted) therefore come back spread over half the
/// ceiling rather than at the same second, and no agent retries sooner than half the ceiling.
/// Pure: the random draws come from the <see cref="Random"/> it is given.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _maximum;
    private readonly Random _random;
    private TimeSpan _ceiling;

    public ReconnectBackoff(TimeSpan first, TimeSpan maximum, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, first);
        ArgumentNullException.ThrowIfNull(random);
        _first = first;
        _maximum = maximum;
        _random = random;
        _ceiling = first;
    }

    /// <summary>The longest the next wait can be.</summary>
    public TimeSpan Ceiling => _ceiling;

    /// <summary>After a failure: the wait to take now (between half the ceiling and the ceiling); the ceiling then doubles up to the maximum.</summary>
    public TimeSpan Next()
    {
        TimeSpan half = _ceiling / 2;
        TimeSpan wait = half + (half * _random.NextDouble());
        _ceiling = _ceiling * 2 < _maximum ? _ceiling * 2 : _maximum;
        return wait;
    }

    /// <summary>After a success: the ceiling goes back to the first wait; true when there was a failure since the last success.</summary>
    public bool Reset()
    {
        bool failed = _ceiling != _first;
        _ceiling = _first;
        return failed;
    }
}
