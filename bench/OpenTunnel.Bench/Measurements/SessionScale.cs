using System.Globalization;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Report;
using OpenTunnel.Bench.Servers;

namespace OpenTunnel.Bench.Measurements;

/// <summary>
/// The session-scale test: a fresh server with the large pool, the load generator signing in and
/// holding N tunnels over TLS, and the gateway's memory per session and CPU while they idle.
/// </summary>
internal sealed class SessionScale(BenchNetwork network, BenchOptions options, ServerCertificate certificate, ResultSet results)
{
    /// <summary>What each simulated client sends while idle: a CSTP keepalive every 30 s and a DPD request every 60 s (jittered).</summary>
    public const int KeepaliveSeconds = 30;
    public const int DpdSeconds = 60;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public async Task MeasureAsync(IVpnServer server, Target target, int sessions, CancellationToken cancellationToken)
    {
        string n = sessions.ToString("N0", CultureInfo.InvariantCulture);
        var figures = Figures.Scale(sessions);
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.ScalePoolPrefixLength, sessions), cancellationToken);
        try
        {
            await Task.Delay(Settle, cancellationToken);
            var baseline = ProcFs.Memory(network.GatewayProcessIds());
            using var load = LoadGenerator.Start(
                network,
                server,
                certificate,
                sessions,
                [
                    "--concurrency", options.Concurrency.ToString(CultureInfo.InvariantCulture),
                    "--keepalive", KeepaliveSeconds.ToString(CultureInfo.InvariantCulture),
                    "--dpd", DpdSeconds.ToString(CultureInfo.InvariantCulture),
                ]);
            // Generous: on a busy machine ocserv signs in a few sessions a second.
            var ramp = await load.WaitForRampAsync(TimeSpan.FromSeconds(300 + (sessions / 4)), cancellationToken);
            BenchLog.Info($"{server.Name}: {ramp.Established}/{sessions} sessions up in {ramp.Seconds:0.0} s ({ramp.SessionsPerSecond:0} /s, p50 {ramp.SignInMillisecondsP50:0} ms)");
            results.Add(figures.Established, target, ramp.Established);
            results.Add(figures.SignInRate, target, ramp.SessionsPerSecond);
            results.Add(figures.SignInP50, target, ramp.SignInMillisecondsP50);
            foreach (var (reason, count) in ramp.Errors)
            {
                results.AddError($"{server.Name}, {n} sessions: {count} sign-ins failed with '{reason}' (first: {ramp.FirstErrorMessages.GetValueOrDefault(reason)})");
            }

            await Task.Delay(Settle, cancellationToken);
            var memory = ProcFs.Memory(network.GatewayProcessIds());
            if (ramp.Established > 0)
            {
                results.Add(figures.PssPerSession, target, (double)(memory.PssKib - baseline.PssKib) / ramp.Established);
                results.Add(figures.RssPerSession, target, (double)(memory.RssKib - baseline.RssKib) / ramp.Established);
            }

            var before = ProcFs.Cpu(network.GatewayProcessIds());
            await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancellationToken);
            double cpu = before.SecondsUntil(ProcFs.Cpu(network.GatewayProcessIds()));
            results.Add(figures.IdleCpu, target, 100 * cpu / options.IdleSeconds);
            BenchLog.Info($"{server.Name}: {n} sessions, memory {memory.PssKib / 1024.0:0} MiB PSS ({baseline.PssKib / 1024.0:0} MiB before), idle CPU {100 * cpu / options.IdleSeconds:0.0}% of a core");

            var hold = await load.StopAsync(TimeSpan.FromSeconds(120));
            if (hold.Lost > 0 || hold.Counters.ProtocolErrors > 0 || hold.Counters.SendErrors > 0)
            {
                results.AddError($"{server.Name}, {n} sessions: {hold.Lost} sessions lost while idle, {hold.Counters.ProtocolErrors} protocol errors, {hold.Counters.SendErrors} send errors, {hold.Counters.ServerDisconnects} server disconnects.");
            }
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
