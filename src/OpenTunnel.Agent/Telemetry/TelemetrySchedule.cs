namespace OpenTunnel.Agent.Telemetry;

/// <summary>
/// When the next telemetry sample is due: after the interval while the gateway answers; while it
/// does not (it starts after the agent, or restarts), after the retry wait, doubling up to the
/// interval, so the server's health turns healthy within seconds of the gateway answering again.
/// </summary>
public sealed class TelemetrySchedule(TimeSpan interval, TimeSpan retry)
{
    private TimeSpan? _nextRetry;

    /// <summary>The wait after a sample in which the gateway did or did not answer.</summary>
    public TimeSpan After(bool gatewayAnswered)
    {
        if (gatewayAnswered)
        {
            _nextRetry = null;
            return interval;
        }

        TimeSpan next = _nextRetry ?? retry;
        TimeSpan wait = next < interval ? next : interval;
        _nextRetry = wait * 2;
        return wait;
    }
}
