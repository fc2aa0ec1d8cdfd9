using System.Globalization;
using OpenTunnel.Bench.Load;
using OpenTunnel.Bench.Load.Sessions;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Servers;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Measurements;

/// <summary>
/// Runs the load generator (bench/OpenTunnel.Bench.Load) in the client namespace against the
/// server under test and reads the JSON lines it prints.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    private readonly TrackedProcess _process;

    private LoadGenerator(TrackedProcess process)
    {
        _process = process;
    }

    /// <summary>The load generator's assembly, copied next to this one by the project reference.</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "OpenTunnel.Bench.Load.dll");

    /// <summary>Starts <paramref name="sessions"/> sessions against <paramref name="server"/>, bound round robin to the client's extra addresses.</summary>
    public static LoadGenerator Start(BenchNetwork network, IVpnServer server, ServerCertificate certificate, int sessions, IEnumerable<string> extraArguments)
    {
        var sources = network.ExtraClientAddresses.Count > 0 ? network.ExtraClientAddresses : [NetworkTopology.ClientAddress];
        string[] arguments =
        [
            AssemblyPath,
            "--server", $"{network.GatewayPublicAddress}:{network.Port.ToString(CultureInfo.InvariantCulture)}",
            "--pin-sha256", certificate.PinSha256,
            "--sessions", sessions.ToString(CultureInfo.InvariantCulture),
            "--source-addresses", string.Join(',', sources),
            .. server.Credentials.LoadArguments,
            .. extraArguments,
        ];
        return new LoadGenerator(network.Topology.Start(network.Topology.Client, DotnetHost.Path, arguments));
    }

    /// <summary>Waits for the end of the ramp (every sign-in finished); throws with the output if the generator fails first.</summary>
    public async Task<RampResult> WaitForRampAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (FindEvent(LoadEvent.RampEvent)?.Ramp is { } ramp)
            {
                return ramp;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(5));
                return FindEvent(LoadEvent.RampEvent)?.Ramp
                    ?? throw new InvalidOperationException($"The load generator exited before its ramp ended. Output:\n{_process.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"The load generator's ramp did not end within {timeout.TotalSeconds} s. Output:\n{_process.Output}");
    }

    /// <summary>Ends the hold (SIGTERM: every session disconnects) and returns what the hold counted.</summary>
    public async Task<HoldResult> StopAsync(TimeSpan timeout)
    {
        // SIGTERM rather than SIGINT: a process started in the background by a non-interactive shell inherits SIGINT ignored.
        _process.Signal(15);
        await _process.WaitForExitAsync(timeout);
        return FindEvent(LoadEvent.DoneEvent)?.Hold
            ?? throw new InvalidOperationException($"The load generator ended without its 'done' line. Output:\n{_process.Output}");
    }

    public string Output => _process.Output;

    public void Dispose() => _process.Dispose();

    private LoadEvent? FindEvent(string name)
    {
        foreach (string line in _process.Output.Split('\n'))
        {
            if (LoadEvent.TryParse(line.Trim()) is { } e && e.Event == name)
            {
                return e;
            }
        }

        return null;
    }
}
