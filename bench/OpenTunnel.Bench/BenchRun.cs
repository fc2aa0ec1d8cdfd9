using System.Diagnostics;
using System.Net;
using OpenTunnel.Bench.Clients;
using OpenTunnel.Bench.Measurements;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Report;
using OpenTunnel.Bench.Servers;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench;

/// <summary>
/// One benchmark run: the topology, the servers, the interleaved rounds (each round measures
/// every target in turn, in an order that rotates from round to round), the session scale, and
/// the report. A failing measurement is recorded and the run goes on; cancellation (a signal)
/// stops it, and the caller's Dispose of the network removes every namespace and process.
/// </summary>
internal sealed class BenchRun(BenchOptions options)
{
    private const int IperfPort = 5201;

    private readonly ResultSet _results = new();

    public async Task<ResultSet> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var targets = options.Targets.ToList();
        RequirePrerequisites(targets);
        if (targets.Contains(Target.OpenTunnel) && options.OpenTunnelGateway is null)
        {
            targets.Remove(Target.OpenTunnel);
            targets.Remove(Target.OpenTunnelNative);
            const string missing = "OpenTunnel is not available yet: this branch has no gateway (src/OpenTunnel.Gateway), so only ocserv and the direct path were measured.";
            _results.AddNote(missing);
            BenchLog.Info(missing);
        }

        if (targets.Contains(Target.OpenTunnelNative) && (options.OpenTunnelGateway is null || options.OpenTunnelClient is null))
        {
            targets.Remove(Target.OpenTunnelNative);
            const string missing = "The OpenTunnel client with its native engine was not measured: this branch has no gateway (src/OpenTunnel.Gateway) or no client (src/OpenTunnel.Client).";
            _results.AddNote(missing);
            BenchLog.Info(missing);
        }

        using var work = WorkFolder.Create("opentunnel-bench.");
        using var network = BenchNetwork.Create(options.Port, options.Sessions.Count > 0 ? 8 : 0);
        BenchLog.Info($"namespaces {network.Topology.Client}, {network.Topology.Gateway}, {network.Topology.Corp}; work folder {work.Path}");
        var certificate = ServerCertificate.Create(work.Path, IPAddress.Parse(network.GatewayPublicAddress));
        // The servers of the targets: openconnect and OpenTunnel's own client take turns at the same OpenTunnel gateway.
        var servers = new Dictionary<Target, IVpnServer>();
        if (targets.Contains(Target.OpenTunnel) || targets.Contains(Target.OpenTunnelNative))
        {
            var openTunnel = new OpenTunnelServer(network, options.OpenTunnelGateway!, work.Sub("opentunnel"), certificate);
            foreach (var target in targets.Where(t => t is Target.OpenTunnel or Target.OpenTunnelNative))
            {
                servers[target] = openTunnel;
            }
        }

        if (targets.Contains(Target.Ocserv))
        {
            servers[Target.Ocserv] = new OcservServer(network, work.Sub("ocserv"), certificate);
        }

        await StartIperfServerAsync(network, cancellationToken);
        string markFile = Path.Combine(work.Path, "tunnel-configured");
        string script = OpenConnectClient.WriteScript(work.Path, markFile);
        string nativeHome = work.Sub("opentunnel-client");
        var tunnel = new TunnelMeasurement(
            network,
            options,
            (target, server) => target == Target.OpenTunnelNative
                ? NativeClient.Start(network, server, certificate, options.OpenTunnelClient!, nativeHome)
                : OpenConnectClient.Start(network, server, certificate, script, markFile),
            _results);
        // The session scale is the server's: the native target shares OpenTunnel's gateway and adds none of its own.
        List<(Target Target, int Sessions)> scalePlan = ScalePlan([.. servers.Keys.Where(t => t != Target.OpenTunnelNative)], options.Sessions, options.OcservMaxSessions);
        var progress = new BenchProgress(options.Rounds * targets.Count, scalePlan.Count, TimeProvider.System);
        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (var target in Rotate(targets, round - 1))
            {
                string name = BenchOptions.TargetName(target);
                BenchLog.Info(progress.Begin($"round {round}/{options.Rounds}: {name}", scale: false));
                await Attempt($"round {round}, {name}", () => target == Target.Direct
                    ? tunnel.MeasureDirectAsync(cancellationToken)
                    : tunnel.MeasureServerAsync(servers[target], target, cancellationToken));
                progress.End();
            }
        }

        await MeasureSessionScaleAsync(network, certificate, servers, scalePlan, progress, cancellationToken);

        var info = new RunInfo(started, clock.Elapsed.TotalSeconds, MachineProbe.Machine(), MachineProbe.Versions(options.OpenTunnelVersion), options.Describe());
        Console.Out.Write(ResultTable.Render(_results, info));
        string path = ResultsDocument.Write(options.ResultsDirectory, _results, info);
        BenchLog.Info($"results written to {path}");
        IReadOnlyList<string> plots = [.. ResultPlots.WriteRun(path), .. ResultPlots.WriteHistory(options.ResultsDirectory)];
        BenchLog.Info($"plots written: {string.Join(", ", plots.Select(Path.GetFileName))}");
        return _results;
    }

    /// <summary>The targets in round-robin order shifted by <paramref name="shift"/>: A B C, then B C A, then C A B.</summary>
    internal static IReadOnlyList<T> Rotate<T>(IReadOnlyList<T> items, int shift)
    {
        var rotated = new List<T>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            rotated.Add(items[(i + shift) % items.Count]);
        }

        return rotated;
    }

    private static void RequirePrerequisites(List<Target> targets)
    {
        var commands = new List<string> { "ip", "nft", "ss", "ping", "iperf3", "openconnect" };
        if (targets.Contains(Target.Ocserv))
        {
            commands.AddRange(["ocserv", "ocpasswd"]);
        }

        Prerequisites.RequireRootAndCommands([.. commands]);
    }

    private static async Task StartIperfServerAsync(BenchNetwork network, CancellationToken cancellationToken)
    {
        var server = network.Topology.Start(network.Topology.Corp, "iperf3", ["-s", "-B", network.CorpAddress, "-p", IperfPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        for (int i = 0; i < 100; i++)
        {
            if (network.Topology.Exec(network.Topology.Corp, "ss", "-Hltn", $"sport = :{IperfPort}").StandardOutput.Length > 0)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException($"iperf3 -s did not listen in the corp namespace. Output:\n{server.Output}");
    }

    /// <summary>
    /// The session-scale measurements in order: for each session count, every server, rotating;
    /// ocserv stops at <paramref name="ocservMaxSessions"/>, and a (server, count) measured once is not measured again.
    /// </summary>
    internal static List<(Target Target, int Sessions)> ScalePlan(IReadOnlyList<Target> servers, IReadOnlyList<int> sessionCounts, int ocservMaxSessions)
    {
        var plan = new List<(Target, int)>();
        var done = new HashSet<(Target, int)>();
        int rotation = 0;
        foreach (int sessions in sessionCounts)
        {
            foreach (var target in Rotate(servers, rotation))
            {
                int count = target == Target.Ocserv ? Math.Min(sessions, ocservMaxSessions) : sessions;
                if (done.Add((target, count)))
                {
                    plan.Add((target, count));
                }
            }

            rotation = done.Count;
        }

        return plan;
    }

    private async Task MeasureSessionScaleAsync(
        BenchNetwork network, ServerCertificate certificate, Dictionary<Target, IVpnServer> servers, List<(Target Target, int Sessions)> plan, BenchProgress progress, CancellationToken cancellationToken)
    {
        var scale = new SessionScale(network, options, certificate, _results);
        if (options.Sessions.Any(s => s > options.OcservMaxSessions) && servers.ContainsKey(Target.Ocserv))
        {
            _results.AddNote($"ocserv forks a process (and a TUN device) per session, so its session scale stops at {options.OcservMaxSessions:N0} sessions (--ocserv-max-sessions); it was not run at {options.Sessions.Where(s => s > options.OcservMaxSessions).Max():N0}.");
        }

        foreach ((Target target, int count) in plan)
        {
            var server = servers[target];
            BenchLog.Info(progress.Begin($"session scale: {server.Name} with {count:N0} sessions", scale: true));
            await Attempt($"session scale, {server.Name}, {count} sessions", () => scale.MeasureAsync(server, target, count, cancellationToken));
            progress.End();
        }

        if (options.Sessions.Count > 0)
        {
            _results.AddNote($"Session scale: TLS only, no TUN on the client side; each idle session sends a CSTP keepalive every {SessionScale.KeepaliveSeconds} s and a DPD every {SessionScale.DpdSeconds} s; per-session memory is (after - before) / sessions; {options.Concurrency} sign-ins in flight.");
        }
    }

    private async Task Attempt(string what, Func<Task> measure)
    {
        try
        {
            await measure();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _results.AddError($"{what}: {e.Message}");
            BenchLog.Info($"FAILED {what}: {e}");
        }
    }
}
