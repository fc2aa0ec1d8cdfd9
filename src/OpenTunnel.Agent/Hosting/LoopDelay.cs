namespace OpenTunnel.Agent.Hosting;

/// <summary>The wait between two turns of a loop.</summary>
internal static class LoopDelay
{
    /// <summary>Waits <paramref name="delay"/> on <paramref name="clock"/>; false when the agent is stopping.</summary>
    public static async Task<bool> WaitAsync(this TimeProvider clock, TimeSpan delay, CancellationToken stopping)
    {
        await Task.Delay(delay, clock, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return !stopping.IsCancellationRequested;
    }
}
