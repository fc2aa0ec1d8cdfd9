using System.Net;
using OpenTunnel.Bench;
using OpenTunnel.Bench.Measurements;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Servers;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Bench;

/// <summary>
/// The benchmark's load generator against each real server in namespaces, for a few sessions,
/// so the generator cannot rot between benchmark runs.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LoadGeneratorTests : IDisposable
{
    private const int Sessions = 4;
    private readonly WorkFolder _folder = WorkFolder.Create("opentunnel-loadtest.");

    [Fact]
    public async Task Load_AgainstOcserv_HoldsEverySessionAndGetsDpdAnswers()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ss", "ocserv", "ocpasswd");
        using var network = BenchNetwork.Create(443, extraClientAddresses: 2);
        var certificate = ServerCertificate.Create(_folder.Path, IPAddress.Parse(network.GatewayPublicAddress));

        // ocserv forks a worker per session: main + sec-mod + one per tunnel.
        await HoldSessionsAsync(network, new OcservServer(network, _folder.Sub("ocserv"), certificate), certificate, minimumProcesses: Sessions + 2);
    }

    [Fact]
    public async Task Load_AgainstOpenTunnel_HoldsEverySessionAndGetsDpdAnswers()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ss");
        using var network = BenchNetwork.Create(443, extraClientAddresses: 2);
        var certificate = ServerCertificate.Create(_folder.Path, IPAddress.Parse(network.GatewayPublicAddress));
        var server = new OpenTunnelServer(network, GatewayInstance.GatewayAssembly(), _folder.Sub("opentunnel"), certificate);

        await HoldSessionsAsync(network, server, certificate, minimumProcesses: 1);
    }

    public void Dispose() => _folder.Dispose();

    private static async Task HoldSessionsAsync(BenchNetwork network, IVpnServer server, ServerCertificate certificate, int minimumProcesses)
    {
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, Sessions), CancellationToken.None);
        try
        {
            using var load = LoadGenerator.Start(network, server, certificate, Sessions, ["--keepalive", "1", "--dpd", "1", "--concurrency", "2"]);
            var ramp = await load.WaitForRampAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
            Assert.True(ramp.Established == Sessions, $"Established {ramp.Established} of {Sessions}. Output:\n{load.Output}\n{server.Name}:\n{server.Output}");
            Assert.True(network.GatewayProcessIds().Count >= minimumProcesses, $"{server.Name} runs {network.GatewayProcessIds().Count} processes for {Sessions} sessions.");

            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var hold = await load.StopAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(Sessions, hold.AliveAtEnd);
            Assert.Equal(0, hold.Lost);
            Assert.True(hold.Counters.KeepalivesSent >= Sessions, $"keepalives sent: {hold.Counters.KeepalivesSent}");
            Assert.True(hold.Counters.DpdResponsesReceived >= Sessions, $"DPD answers: {hold.Counters.DpdResponsesReceived} for {hold.Counters.DpdRequestsSent} requests. Output:\n{load.Output}");
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
