using OpenTunnel.Bench.Network;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>Waiting for a server to listen, and stopping it, the same way for every server under test.</summary>
internal static class ServerReadiness
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    /// <summary>Returns once the gateway namespace has a TCP listener on the benchmark's port; throws with the server's output when it exits or takes too long.</summary>
    public static async Task WaitUntilListeningAsync(BenchNetwork network, TrackedProcess process, CancellationToken cancellationToken)
    {
        string filter = $"sport = :{network.Port}";
        var deadline = DateTime.UtcNow + StartLimit;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"'{process.Description}' exited during start-up. Output:\n{process.Output}");
            }

            // TCP only: a server without DTLS has no UDP socket, and ocserv opens both at once.
            if (network.Topology.Exec(network.Topology.Gateway, "ss", "-Hltn", filter).StandardOutput.Length > 0)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"'{process.Description}' did not listen on TCP port {network.Port} within {StartLimit.TotalSeconds} s. Output:\n{process.Output}");
    }

    /// <summary>SIGTERM to the server, then waits for every process of the gateway namespace to go (SIGKILL by PID after 10 s).</summary>
    public static async Task StopAsync(BenchNetwork network, TrackedProcess? process)
    {
        if (process is null)
        {
            return;
        }

        process.Signal(15);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && (!process.HasExited || network.GatewayProcessIds().Count > 0))
        {
            await Task.Delay(50);
        }

        process.Dispose();
        foreach (int pid in network.GatewayProcessIds())
        {
            _ = NativeSignals.Kill(pid, 9);
        }
    }
}
