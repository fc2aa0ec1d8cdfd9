using OpenTunnel.Bench.Network;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Servers;

/// <summary>
/// The process of a server under test in the gateway namespace: started and tracked by PID,
/// ready once it listens, stopped with SIGTERM, and its output kept for error messages after it ended.
/// </summary>
internal sealed class ServerProcess(BenchNetwork network, string name)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private TrackedProcess? _process;
    private string _lastOutput = string.Empty;

    /// <summary>What the running (or last) process printed.</summary>
    public string Output => _process?.Output ?? _lastOutput;

    /// <summary>Starts the server and returns once the gateway namespace has a TCP listener on the benchmark's port; throws with its output when it exits or takes too long.</summary>
    public async Task StartAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException($"{name} is already running.");
        }

        var process = _process = network.Topology.Start(network.Topology.Gateway, fileName, arguments);
        string filter = $"sport = :{network.Port}";
        var deadline = DateTime.UtcNow + StartLimit;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited during start-up. Output:\n{process.Output}");
            }

            // TCP only: a server without DTLS has no UDP socket, and ocserv opens both at once.
            if (network.Topology.Exec(network.Topology.Gateway, "ss", "-Hltn", filter).StandardOutput.Length > 0)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{name} did not listen on TCP port {network.Port} within {StartLimit.TotalSeconds} s. Output:\n{process.Output}");
    }

    /// <summary>SIGTERM to the server, then waits for every process of the gateway namespace to go (SIGKILL by PID after 10 s).</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        process.Signal(15);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && (!process.HasExited || network.GatewayProcessIds().Count > 0))
        {
            await Task.Delay(50);
        }

        _lastOutput = process.Output;
        process.Dispose();
        foreach (int pid in network.GatewayProcessIds())
        {
            _ = NativeSignals.Kill(pid, 9);
        }
    }
}
