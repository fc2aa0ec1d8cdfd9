using System.Text.Json.Nodes;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Gateway;

/// <summary>
/// A second gateway of the same site in a <see cref="GatewayInstance"/>'s gateway namespace: the
/// first one's file with its own port (4444), pool (198.18.129.0/24, 2001:db8:129::/64), TUN device,
/// nftables table, data folder and metrics port (9465), and the first one's certificate, so a
/// client pinning that certificate accepts both. Dispose ends it by PID.
/// </summary>
public sealed class PeerGateway : IDisposable
{
    public const int Port = 4444;
    public const string Pool = "198.18.129.0/24";
    public const int MetricsPort = 9465;

    private PeerGateway(TrackedProcess process, string configFile, string dataDirectory)
    {
        Process = process;
        ConfigFile = configFile;
        DataDirectory = dataDirectory;
    }

    public TrackedProcess Process { get; }

    public string ConfigFile { get; }

    public string DataDirectory { get; }

    public string ControlSocket => Path.Combine(DataDirectory, "control.sock");

    /// <summary>host:port where clients reach it.</summary>
    public static string Address => $"{NetworkTopology.GatewayPublicAddress}:{Port}";

    public static async Task<PeerGateway> StartAsync(GatewayInstance gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var config = JsonNode.Parse(File.ReadAllText(gateway.ConfigFile))!.AsObject();
        config.Remove("LoadBalancing");
        string data = gateway.Directory.Subdirectory("peer-data");
        config["DataDirectory"] = data;
        config["Listener"]!["Port"] = Port;
        config["Tls"] = new JsonObject { ["CertificateFile"] = Path.Combine(gateway.DataDirectory, "self-signed.pem") };
        var network = config["Network"]!.AsObject();
        network["IPv4Pool"] = Pool;
        network["IPv6Pool"] = "2001:db8:129::/64";
        network["TunDevice"] = "otunpeer";
        network["NftablesTable"] = "opentunnel_peer";
        config["Metrics"] = new JsonObject { ["Address"] = $"127.0.0.1:{MetricsPort}" };
        string file = gateway.Directory.File("peer.json");
        File.WriteAllText(file, config.ToJsonString());
        var process = gateway.Topology.Start(gateway.Topology.Gateway, "dotnet", [GatewayInstance.GatewayAssembly(), "run", "--config", file]);
        try
        {
            await process.WaitForOutputAsync("Listening on", TimeSpan.FromSeconds(30));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new PeerGateway(process, file, data);
    }

    /// <summary>Stops it with SIGTERM (it removes its nftables table), by PID if it does not stop.</summary>
    public void Dispose()
    {
        Process.Terminate(TimeSpan.FromSeconds(10));

        Process.Dispose();
    }
}
