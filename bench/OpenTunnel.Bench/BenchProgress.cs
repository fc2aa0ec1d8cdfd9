using System.Globalization;

namespace OpenTunnel.Bench;

/// <summary>
/// Where a run is: step N of the steps it will take (every target in every round, then each
/// session-scale measurement), and the time left estimated from the average step so far. A step
/// of the session scale takes far longer than a round's, so the estimate is per kind of step.
/// </summary>
internal sealed class BenchProgress(int roundSteps, int scaleSteps, TimeProvider clock)
{
    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private int _roundDone;
    private int _scaleDone;
    private TimeSpan _roundTime;
    private TimeSpan _scaleTime;
    private DateTimeOffset _stepStarted;
    private bool _inScale;

    public int Total => roundSteps + scaleSteps;

    public int Current => _roundDone + _scaleDone;

    /// <summary>Starts the next step; the line to print: "[step 3/8, 1 min 20 s elapsed, about 2 min 10 s left] round 2/2: ocserv".</summary>
    public string Begin(string what, bool scale)
    {
        _stepStarted = clock.GetUtcNow();
        _inScale = scale;
        TimeSpan elapsed = _stepStarted - _started;
        string left = Remaining() is { } remaining ? $", about {Format(remaining)} left" : string.Empty;
        return $"[step {Current + 1}/{Total}, {Format(elapsed)} elapsed{left}] {what}";
    }

    /// <summary>Ends the step <see cref="Begin"/> started (failed or not: it took its time).</summary>
    public void End()
    {
        TimeSpan took = clock.GetUtcNow() - _stepStarted;
        if (_inScale)
        {
            _scaleDone++;
            _scaleTime += took;
        }
        else
        {
            _roundDone++;
            _roundTime += took;
        }
    }

    /// <summary>The steps left times the average of their kind (a scale step without one yet counts as ten round steps); null before any step ended.</summary>
    public TimeSpan? Remaining()
    {
        if (Current == 0)
        {
            return null;
        }

        TimeSpan round = _roundDone > 0 ? _roundTime / _roundDone : _scaleTime / _scaleDone / 10;
        TimeSpan scale = _scaleDone > 0 ? _scaleTime / _scaleDone : round * 10;
        return (round * (roundSteps - _roundDone)) + (scale * (scaleSteps - _scaleDone));
    }

    internal static string Format(TimeSpan span) => span.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Round(span.TotalSeconds)} s");
}
