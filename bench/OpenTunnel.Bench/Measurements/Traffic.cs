using System.Globalization;
using OpenTunnel.Bench.Network;

namespace OpenTunnel.Bench.Measurements;

/// <summary>The three iperf3 runs of every path.</summary>
internal enum IperfTest
{
    /// <summary>Client to corp, one TCP stream.</summary>
    Upload,

    /// <summary>Corp to client (iperf3 -R).</summary>
    Download,

    /// <summary>Client to corp, four streams (iperf3 -P 4).</summary>
    Parallel4,
}

/// <summary>Ping and iperf3 from the client namespace to the corp host, over whatever path the routes give.</summary>
internal sealed class Traffic(BenchNetwork network, int durationSeconds, int pingCount)
{
    /// <summary>Pings the corp host <c>pingCount</c> times, 0.05 s apart.</summary>
    public async Task<PingResult> PingAsync(CancellationToken cancellationToken)
    {
        string count = pingCount.ToString(CultureInfo.InvariantCulture);
        var result = await network.Topology.ExecAsync(
            network.Topology.Client, "ping", ["-n", "-q", "-c", count, "-i", "0.05", "-w", "60", network.CorpAddress], TimeSpan.FromSeconds(90), cancellationToken);
        return PingResult.Parse(result.StandardOutput + result.StandardError);
    }

    /// <summary>One iperf3 run of <c>durationSeconds</c> against the corp host's iperf3 server.</summary>
    public async Task<IperfResult> IperfAsync(IperfTest test, CancellationToken cancellationToken)
    {
        string[] arguments = test switch
        {
            IperfTest.Download => ["-R"],
            IperfTest.Parallel4 => ["-P", "4"],
            _ => [],
        };
        var result = await network.Topology.ExecAsync(
            network.Topology.Client,
            "iperf3",
            ["-c", network.CorpAddress, "-t", durationSeconds.ToString(CultureInfo.InvariantCulture), "-J", .. arguments],
            TimeSpan.FromSeconds(durationSeconds + 60),
            cancellationToken);
        return IperfResult.Parse(result.StandardOutput);
    }

    /// <summary>One ping that waits for the first reply, sending every 10 ms for up to 5 s: true when a reply came.</summary>
    public async Task<bool> FirstReplyAsync(CancellationToken cancellationToken)
    {
        var result = await network.Topology.ExecAsync(
            network.Topology.Client, "ping", ["-n", "-q", "-c", "1", "-i", "0.01", "-w", "5", network.CorpAddress], TimeSpan.FromSeconds(10), cancellationToken);
        return result.Succeeded;
    }
}
