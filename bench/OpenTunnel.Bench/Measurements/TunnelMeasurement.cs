using System.Diagnostics;
using OpenTunnel.Bench.Clients;
using OpenTunnel.Bench.Load.Statistics;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Report;
using OpenTunnel.Bench.Servers;

namespace OpenTunnel.Bench.Measurements;

/// <summary>
/// One round of one path: a client (openconnect, or OpenTunnel's own for the native target) over
/// DTLS, then with UDP blocked (TLS only), then the sign-in + connect cycles, for a server; or ping
/// and iperf3 over plain routing for the direct path. <paramref name="startClient"/> starts the
/// client of a target against a server.
/// </summary>
internal sealed class TunnelMeasurement(BenchNetwork network, BenchOptions options, Func<Target, IVpnServer, ITunnelClient> startClient, ResultSet results)
{
    private static readonly TimeSpan DtlsWait = TimeSpan.FromSeconds(20);

    // openconnect 9.01 configures the tunnel only after its first DTLS handshake timed out (about 12 s) when UDP is blocked.
    private static readonly TimeSpan TlsOnlyWait = TimeSpan.FromSeconds(45);

    private readonly Traffic _traffic = new(network, options.DurationSeconds, options.PingCount);

    /// <summary>The server's DTLS, TLS-only and connect figures for one round; the server runs only for this.</summary>
    public async Task MeasureServerAsync(IVpnServer server, Target target, CancellationToken cancellationToken)
    {
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, 64), cancellationToken);
        try
        {
            await MeasureTunnelAsync(server, target, udpBlocked: false, cancellationToken);
            network.BlockUdp();
            try
            {
                await MeasureTunnelAsync(server, target, udpBlocked: true, cancellationToken);
            }
            finally
            {
                network.UnblockUdp();
            }

            if (options.Connects > 0)
            {
                await MeasureConnectsAsync(server, target, cancellationToken);
            }
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>The direct path: the corp host routes back to the client subnet; no tunnel, no PAT.</summary>
    public async Task MeasureDirectAsync(CancellationToken cancellationToken)
    {
        network.SetDirectRouting(true);
        try
        {
            var ping = await _traffic.PingAsync(cancellationToken);
            results.Add(Figures.DirectPing, Target.Direct, ping.AverageMs);
            BenchLog.Info($"direct: ping {ping.AverageMs:0.000} ms");
            foreach (var (test, figure) in new[] { (IperfTest.Upload, Figures.DirectUpload), (IperfTest.Download, Figures.DirectDownload), (IperfTest.Parallel4, Figures.DirectParallel) })
            {
                var iperf = await _traffic.IperfAsync(test, cancellationToken);
                results.Add(figure, Target.Direct, iperf.MegabitsPerSecond);
                BenchLog.Info($"direct: {test} {iperf.MegabitsPerSecond:0} Mbit/s");
            }
        }
        finally
        {
            network.SetDirectRouting(false);
        }
    }

    private async Task MeasureTunnelAsync(IVpnServer server, Target target, bool udpBlocked, CancellationToken cancellationToken)
    {
        string mode = udpBlocked ? "TLS only" : "DTLS";
        string name = BenchOptions.TargetName(target);
        using var client = startClient(target, server);
        try
        {
            try
            {
                if (!await client.WaitUntilReadyAsync(requireDtls: !udpBlocked, udpBlocked ? TlsOnlyWait : DtlsWait, cancellationToken))
                {
                    results.AddNote($"{server.Name} offers no DTLS (the client said so), so {name} has no DTLS figures; openconnect 9.01 then configures the tunnel only after its main loop's 1 s wait, which its connect time includes.");
                    return;
                }
            }
            catch (TimeoutException) when (!udpBlocked && client.TunnelConfigured)
            {
                results.AddError($"{name}: the client's DTLS did not come up within {DtlsWait.TotalSeconds} s, so there are no DTLS figures for it this round.");
                return;
            }

            if (udpBlocked && client.DtlsUp)
            {
                throw new InvalidOperationException($"{name}: DTLS came up although UDP port {network.Port} is blocked; the TLS-only figures would be wrong.");
            }

            NoteSuites(name, client.Output);
            var (pingFigure, laterPingFigure, cpuFigure, clientCpuFigure, figures) = udpBlocked
                ? (Figures.TlsPing, Figures.TlsPingAfterTransfers, Figures.TlsCpu, Figures.TlsClientCpu, new[] { Figures.TlsUpload, Figures.TlsDownload, Figures.TlsParallel })
                : (Figures.DtlsPing, Figures.DtlsPingAfterTransfers, Figures.DtlsCpu, Figures.DtlsClientCpu, new[] { Figures.DtlsUpload, Figures.DtlsDownload, Figures.DtlsParallel });
            var ping = await _traffic.PingAsync(cancellationToken);
            results.Add(pingFigure, target, ping.AverageMs);
            BenchLog.Info($"{name} {mode}: ping {ping.AverageMs:0.000} ms, loss {ping.LossPercent}%");

            double cpuSeconds = 0;
            double clientCpuSeconds = 0;
            long bytes = 0;
            var tests = new[] { IperfTest.Upload, IperfTest.Download, IperfTest.Parallel4 };
            int[] clientProcess = [client.ProcessId];
            for (int i = 0; i < tests.Length; i++)
            {
                var before = ProcFs.Cpu(network.GatewayProcessIds());
                var clientBefore = ProcFs.Cpu(clientProcess);
                var iperf = await _traffic.IperfAsync(tests[i], cancellationToken);
                double clientCpu = clientBefore.SecondsUntil(ProcFs.Cpu(clientProcess));
                double cpu = before.SecondsUntil(ProcFs.Cpu(network.GatewayProcessIds()));
                results.Add(figures[i], target, iperf.MegabitsPerSecond);
                cpuSeconds += cpu;
                clientCpuSeconds += clientCpu;
                bytes += iperf.Bytes;
                BenchLog.Info($"{name} {mode}: {tests[i]} {iperf.MegabitsPerSecond:0} Mbit/s, gateway CPU {cpu:0.00} s, client CPU {clientCpu:0.00} s, retransmits {iperf.Retransmits}");
            }

            if (bytes > 0)
            {
                results.Add(cpuFigure, target, cpuSeconds / (bytes / 1e9));
                results.Add(clientCpuFigure, target, clientCpuSeconds / (bytes / 1e9));
            }

            // The same pings again on the server that has now run for a while (a .NET gateway's code
            // is compiled to its final form by then, as on a gateway that has run for hours).
            var laterPing = await _traffic.PingAsync(cancellationToken);
            results.Add(laterPingFigure, target, laterPing.AverageMs);
            BenchLog.Info($"{name} {mode}: ping after the transfers {laterPing.AverageMs:0.000} ms, loss {laterPing.LossPercent}%");

            if (client.HasExited)
            {
                results.AddError($"{name} {mode}: the client exited during the measurements. Output:\n{client.Output}");
            }
        }
        finally
        {
            await client.StopAsync();
        }
    }

    private async Task MeasureConnectsAsync(IVpnServer server, Target target, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        var configured = new List<double>();
        string? firstFailure = null;
        string name = BenchOptions.TargetName(target);
        for (int i = 0; i < options.Connects; i++)
        {
            var clock = Stopwatch.StartNew();
            using var client = startClient(target, server);
            try
            {
                await client.WaitUntilReadyAsync(requireDtls: false, TimeSpan.FromSeconds(30), cancellationToken);
                configured.Add(clock.Elapsed.TotalMilliseconds);
                if (await _traffic.FirstReplyAsync(cancellationToken))
                {
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
                else
                {
                    firstFailure ??= "no ping reply through the new tunnel within 5 s";
                }
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                firstFailure ??= e.Message;
            }
            finally
            {
                await client.StopAsync();
            }

            // The same pause between connects as the reference setup (ocserv keeps the last cookie meanwhile).
            await Task.Delay(200, cancellationToken);
        }

        times.Sort();
        configured.Sort();
        if (times.Count > 0)
        {
            double median = Percentiles.Of(times, 0.5);
            results.Add(Figures.Connect, target, median);
            BenchLog.Info($"{name}: {times.Count}/{options.Connects} connects, median {median:0.0} ms (min {times[0]:0.0}, max {times[^1]:0.0}); tunnel configured after {Percentiles.Of(configured, 0.5):0.0} ms (median)");
        }

        if (firstFailure is not null)
        {
            results.AddError($"{name}: {options.Connects - times.Count} of {options.Connects} connect cycles failed; first: {firstFailure}");
        }
    }

    private void NoteSuites(string name, string output)
    {
        foreach (string line in output.Split('\n'))
        {
            if (line.Contains("ciphersuite", StringComparison.OrdinalIgnoreCase) || line.Contains(NativeClient.DtlsEstablished, StringComparison.Ordinal))
            {
                results.AddNote($"{name}: the client said \"{line.Trim()}\"");
            }
        }
    }
}
