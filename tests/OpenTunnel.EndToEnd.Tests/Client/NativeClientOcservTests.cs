using System.Net;
using OpenTunnel.Bench;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Servers;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Client;

/// <summary>
/// The native engine against Debian's ocserv (password sign-in; Debian's build has no OIDC), in the
/// benchmark's namespaces and with its ocserv configuration: the tunnel comes up over TLS, DTLS
/// takes over through openconnect's PSK-NEGOTIATE mode (the PSK exported from the TLS connection),
/// pings cross to the corp host over it, and SIGTERM says DISCONNECT.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class NativeClientOcservTests : IDisposable
{
    private readonly WorkFolder _folder = WorkFolder.Create("opentunnel-native-ocserv.");

    [Fact]
    public async Task Connect_ToOcservWithPassword_DtlsByPskNegotiate_PingsCorpOverDtls_SigtermDisconnects()
    {
        var (output, _) = await ConnectCarryAndStopAsync(udpBlocked: false, async (network, client, home) =>
        {
            await client.WaitForOutputAsync("DTLS is up (PSK-AES256-GCM-SHA384", TimeSpan.FromSeconds(30));
            string status = await NativeClientDtlsTests.WaitForStatusAsync(home, "Channel: DTLS since");
            Assert.Contains("native engine", status, StringComparison.Ordinal);
            network.Topology.Exec(network.Topology.Client, "ping", ["-c", "1", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();
            network.Topology.Exec(network.Topology.Client, "ping", ["-c", "3", "-i", "0.2", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(15)).EnsureSuccess();
        });

        // The pings' echo requests went out over DTLS and their answers came back over it.
        Assert.Matches("Disconnected \\([1-9][0-9]* bytes sent, [1-9][0-9]* received, of which [1-9][0-9]* and [1-9][0-9]* over DTLS\\)", output);
        Assert.DoesNotContain("DTLS handshake", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// With UDP blocked the packets stay on TLS, where the client sends a run of them in one go:
    /// each frame must still be a TLS record of its own, or ocserv drops the record and the session
    /// ("unexpected CSTP length"). ping's preload sends 8 echo requests at once.
    /// </summary>
    [Fact]
    public async Task Connect_ToOcservWithUdpBlocked_RunsOfPacketsCrossOverTls_SigtermDisconnects()
    {
        var (output, ocserv) = await ConnectCarryAndStopAsync(udpBlocked: true, (network, _, _) =>
        {
            for (int run = 0; run < 3; run++)
            {
                network.Topology.Exec(network.Topology.Client, "ping", ["-c", "16", "-l", "8", "-s", "1200", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(20)).EnsureSuccess();
            }

            return Task.CompletedTask;
        });

        Assert.Matches("Disconnected \\([1-9][0-9]* bytes sent, [1-9][0-9]* received, of which 0 and 0 over DTLS\\)", output);
        Assert.DoesNotContain("unexpected CSTP length", ocserv, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>
    /// Starts ocserv in the benchmark's namespaces (with UDP to it dropped if asked), connects the
    /// native client with the password, runs <paramref name="carry"/> once it is connected, ends it
    /// with SIGTERM (which must exit 0) and returns what the client and ocserv printed.
    /// </summary>
    private async Task<(string Client, string Ocserv)> ConnectCarryAndStopAsync(bool udpBlocked, Func<BenchNetwork, TrackedProcess, TemporaryDirectory, Task> carry)
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ss", "ping", "ocserv", "ocpasswd");
        using var network = BenchNetwork.Create(443, extraClientAddresses: 0);
        if (udpBlocked)
        {
            network.BlockUdp();
        }

        var certificate = ServerCertificate.Create(_folder.Path, IPAddress.Parse(network.GatewayPublicAddress));
        var server = new OcservServer(network, _folder.Sub("ocserv"), certificate);
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, 4), CancellationToken.None);
        try
        {
            IReadOnlyList<string> load = server.Credentials.LoadArguments;
            string passwordFile = load[load.ToList().IndexOf("--password-file") + 1];
            using var home = new TemporaryDirectory();
            using TrackedProcess client = network.Topology.Start(network.Topology.Client, "dotnet",
                [SolutionOutput.Assembly("OpenTunnel.Client", "opentunnel.dll"), "connect", "--engine", "native", "--gateway", $"https://{network.GatewayPublicAddress}",
                 "--servercert", certificate.OpenConnectPin, "--user", OcservServer.UserName, "--password-file", passwordFile],
                environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path });
            await client.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));

            await carry(network, client, home);

            client.Signal(15);
            int exitCode = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"connect exited with {exitCode}.\n{client.Output}\nocserv:\n{server.Output}");
            return (client.Output, server.Output);
        }
        finally
        {
            await server.StopAsync();
        }
    }
}
