namespace OpenTunnel.Agent.Telemetry;

/// <summary>
/// CPU use averaged over a sliding window (5 minutes, like the first figure Microsoft Tunnel
/// reports): the busy share of the CPU ticks between the oldest reading inside the window and
/// the newest. Readings are added at each sample; older ones fall out.
/// </summary>
public sealed class CpuLoadWindow(TimeSpan window)
{
    private readonly Queue<(DateTime At, CpuTimes Times)> _readings = new();

    public static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);

    /// <summary>Adds a reading and returns the average over the window, or null before there are two readings.</summary>
    public double? Add(DateTime at, CpuTimes times)
    {
        while (_readings.Count > 1 && at - _readings.Peek().At > window)
        {
            _readings.Dequeue();
        }

        (DateTime _, CpuTimes first) = _readings.Count > 0 ? _readings.Peek() : (at, times);
        _readings.Enqueue((at, times));
        if (times.Total <= first.Total || times.Busy < first.Busy)
        {
            return null;
        }

        double percent = 100.0 * (times.Busy - first.Busy) / (times.Total - first.Total);
        return Math.Clamp(percent, 0, 100);
    }
}
