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
        Prerequisites.RequireRootAndCommands("ip", "nft", "ss", "ping", "ocserv", "ocpasswd");
        using var network = BenchNetwork.Create(443, extraClientAddresses: 0);
        var certificate = ServerCertificate.Create(_folder.Path, IPAddress.Parse(network.GatewayPublicAddress));
        var server = new OcservServer(network, _folder.Sub("ocserv"), certificate);
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, 4), CancellationToken.None);
        try
        {
            using var home = new TemporaryDirectory();
            using TrackedProcess client = StartClient(network, server, certificate, home);

            await client.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));
            await client.WaitForOutputAsync("DTLS is up (PSK-AES256-GCM-SHA384", TimeSpan.FromSeconds(30));
            string status = await NativeClientDtlsTests.WaitForStatusAsync(home, "Channel: DTLS since");
            Assert.Contains("native engine", status, StringComparison.Ordinal);
            network.Topology.Exec(network.Topology.Client, "ping", ["-c", "1", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(10)).EnsureSuccess();
            network.Topology.Exec(network.Topology.Client, "ping", ["-c", "3", "-i", "0.2", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(15)).EnsureSuccess();

            client.Signal(15);
            int exitCode = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"connect exited with {exitCode}.\n{client.Output}\nocserv:\n{server.Output}");
            // The pings' echo requests went out over DTLS and their answers came back over it.
            Assert.Matches("Disconnected \\([1-9][0-9]* bytes sent, [1-9][0-9]* received, of which [1-9][0-9]* and [1-9][0-9]* over DTLS\\)", client.Output);
            Assert.DoesNotContain("DTLS handshake", client.Output, StringComparison.Ordinal);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>
    /// With UDP blocked the packets stay on TLS, where the client sends a run of them in one go:
    /// each frame must still be a TLS record of its own, or ocserv drops the record and the session
    /// ("unexpected CSTP length"). ping's preload sends 8 echo requests at once.
    /// </summary>
    [Fact]
    public async Task Connect_ToOcservWithUdpBlocked_RunsOfPacketsCrossOverTls_SigtermDisconnects()
    {
        Prerequisites.RequireRootAndCommands("ip", "nft", "ss", "ping", "ocserv", "ocpasswd");
        using var network = BenchNetwork.Create(443, extraClientAddresses: 0);
        network.BlockUdp();
        var certificate = ServerCertificate.Create(_folder.Path, IPAddress.Parse(network.GatewayPublicAddress));
        var server = new OcservServer(network, _folder.Sub("ocserv"), certificate);
        await server.StartAsync(new ServerSettings(BenchNetwork.PoolNetwork, BenchNetwork.PoolPrefixLength, 4), CancellationToken.None);
        try
        {
            using var home = new TemporaryDirectory();
            using TrackedProcess client = StartClient(network, server, certificate, home);
            await client.WaitForOutputAsync("Connected to", TimeSpan.FromSeconds(60));

            for (int run = 0; run < 3; run++)
            {
                network.Topology.Exec(network.Topology.Client, "ping", ["-c", "16", "-l", "8", "-s", "1200", "-W", "3", network.CorpAddress], TimeSpan.FromSeconds(20)).EnsureSuccess();
            }

            client.Signal(15);
            int exitCode = await client.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"connect exited with {exitCode}.\n{client.Output}\nocserv:\n{server.Output}");
            Assert.Matches("Disconnected \\([1-9][0-9]* bytes sent, [1-9][0-9]* received, of which 0 and 0 over DTLS\\)", client.Output);
            Assert.DoesNotContain("unexpected CSTP length", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    private static TrackedProcess StartClient(BenchNetwork network, OcservServer server, ServerCertificate certificate, TemporaryDirectory home)
    {
        IReadOnlyList<string> load = server.Credentials.LoadArguments;
        string passwordFile = load[load.ToList().IndexOf("--password-file") + 1];
        return network.Topology.Start(network.Topology.Client, "dotnet",
            [SolutionOutput.Assembly("OpenTunnel.Client", "opentunnel.dll"), "connect", "--engine", "native", "--gateway", $"https://{network.GatewayPublicAddress}",
             "--servercert", certificate.OpenConnectPin, "--user", OcservServer.UserName, "--password-file", passwordFile],
            environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home.Path });
    }

    public void Dispose() => _folder.Dispose();
}
