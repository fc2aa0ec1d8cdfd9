using System.Globalization;
using OpenTunnel.Bench.Network;
using OpenTunnel.Bench.Servers;
using OpenTunnel.Testing;

namespace OpenTunnel.Bench.Clients;

/// <summary>
/// OpenTunnel's own client with its native engine (<c>opentunnel connect --gateway</c>: the
/// executable bench/run publishes, or opentunnel.dll run by dotnet) in the client namespace: TLS, DTLS and its own TUN device, routes and DNS (the DNS goes
/// to the namespace's own resolv.conf, which <c>ip netns exec</c> mounts over the host's). It signs
/// in with the server's native-client credentials (the same minted token openconnect presents) and
/// keeps its state in a folder of the run. It stops on SIGTERM: it says DISCONNECT and undoes its routes.
/// </summary>
internal sealed class NativeClient(TrackedProcess process) : TunnelClientProcess(process, "opentunnel connect", stopSignal: 15)
{
    /// <summary>The line the native engine prints once the TUN device, routes and DNS are configured (NativeEngine).</summary>
    public const string Connected = "Connected to ";

    /// <summary>The line the native engine prints when the packets go over DTLS.</summary>
    public const string DtlsEstablished = "DTLS is up (";

    public override bool TunnelConfigured => Output.Contains(Connected, StringComparison.Ordinal);

    public override bool DtlsUp => Output.Contains(DtlsEstablished, StringComparison.Ordinal);

    public override bool DtlsNotOffered => Output.Contains("(the gateway offers no DTLS)", StringComparison.Ordinal);

    /// <summary>Starts <c>opentunnel connect</c> (<paramref name="client"/>: the executable, or opentunnel.dll) against <paramref name="server"/>, with <paramref name="home"/> as its state folder.</summary>
    public static NativeClient Start(BenchNetwork network, IVpnServer server, ServerCertificate certificate, string client, string home)
    {
        Directory.CreateDirectory(home);
        var (file, arguments) = DotnetHost.Command(
            client,
            [
                "connect",
                "--gateway", $"https://{network.GatewayPublicAddress}:{network.Port.ToString(CultureInfo.InvariantCulture)}",
                "--servercert", certificate.OpenConnectPin,
                .. server.Credentials.NativeArguments,
            ]);
        var process = network.Topology.Start(
            network.Topology.Client, file, arguments, environment: new Dictionary<string, string> { ["OPENTUNNEL_CLIENT_HOME"] = home });
        return new NativeClient(process);
    }
}
