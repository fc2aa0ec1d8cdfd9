using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// Tells systemd (a <c>Type=notify</c> unit) that the gateway reloads its configuration and is
/// ready again (sd_notify(3) <c>RELOADING=1</c> with <c>MONOTONIC_USEC</c>, then <c>READY=1</c>).
/// Readiness at start and <c>STOPPING=1</c> come from the host's systemd lifetime
/// (<c>UseSystemd</c>). Without systemd (no notifier registered) this does nothing.
/// </summary>
public sealed class ServiceManagerNotifier(ISystemdNotifier? notifier)
{
    public void Reloading()
    {
        if (notifier is { IsEnabled: true })
        {
            // CLOCK_MONOTONIC in microseconds: Stopwatch reads that clock on Linux.
            long now = Stopwatch.GetElapsedTime(0).Ticks / TimeSpan.TicksPerMicrosecond;
            notifier.Notify(new ServiceState("RELOADING=1\nMONOTONIC_USEC=" + now.ToString(CultureInfo.InvariantCulture)));
        }
    }

    public void Ready()
    {
        if (notifier is { IsEnabled: true })
        {
            notifier.Notify(ServiceState.Ready);
        }
    }
}
