using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Clients;

/// <summary>
/// What openconnect and OpenTunnel's client have in common as processes of the benchmark: the
/// wait until the tunnel is ready (polled every 2 ms, so that the connect figure is not rounded
/// up by the poll) and the stop by signal and PID.
/// </summary>
internal abstract class TunnelClientProcess(TrackedProcess process, string name, int stopSignal) : ITunnelClient
{
    public string Output => process.Output;

    public abstract bool TunnelConfigured { get; }

    public abstract bool DtlsUp { get; }

    public abstract bool DtlsNotOffered { get; }

    public bool HasExited => process.HasExited;

    public int ProcessId => process.Id;

    public async Task<bool> WaitUntilReadyAsync(bool requireDtls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(TunnelConfigured && (!requireDtls || DtlsUp)))
        {
            if (requireDtls && TunnelConfigured && DtlsNotOffered)
            {
                return false;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited before the tunnel was ready. Output:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name}'s tunnel was not ready{(requireDtls ? " with DTLS" : string.Empty)} within {timeout.TotalSeconds} s. Output:\n{Output}");
            }

            await Task.Delay(2, cancellationToken);
        }

        return true;
    }

    public async Task StopAsync()
    {
        process.Signal(stopSignal);
        try
        {
            await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // Dispose kills it.
        }

        process.Dispose();
    }

    public void Dispose() => process.Dispose();
}
