using System.Runtime.InteropServices;

namespace OpenTunnel.Bench.Load;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP cancel <see cref="Token"/> instead of ending the process, so a
/// benchmark process can disconnect its sessions and remove what it made before it exits.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public StopSignals(Action<PosixSignal>? onSignal = null)
    {
        _registrations =
        [
            .. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }.Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                onSignal?.Invoke(context.Signal);
                _stop.Cancel();
            })),
        ];
    }

    public CancellationToken Token => _stop.Token;

    public bool Stopped => _stop.IsCancellationRequested;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }
}
