using System.Globalization;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Gateway.Contracts.Control;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Scaling;

/// <summary>
/// One <c>opentunnel-gateway</c> of a site behind the balancer, in its own namespace, set up as
/// deploy/loadbalancer/gateway-behind-balancer.json says: listening on its own address, DTLS port
/// advertised as the balancer's port for it, /healthz on its own address for the balancer's checks,
/// and no per-address limits (every client reaches it from the balancer's address). The pool is the
/// site's whole range on every gateway: leases are translated (PAT) by each gateway, so they are
/// never seen beyond it.
/// </summary>
public sealed class BalancedGateway : IDisposable
{
    private BalancedGateway(int index, string directory, TrackedProcess process)
    {
        Index = index;
        Directory = directory;
        Process = process;
    }

    public int Index { get; }

    public string Directory { get; }

    public TrackedProcess Process { get; }

    public string ConfigFile => Path.Combine(Directory, "gateway.json");

    public string ControlSocket => Path.Combine(Directory, "data", "control.sock");

    public static async Task<BalancedGateway> StartAsync(string ns, int index, string directory, string jwksFile, string certificateFile, int port, int advertisedUdpPort)
    {
        string data = System.IO.Directory.CreateDirectory(Path.Combine(directory, "data")).FullName;
        // One certificate for the whole site, so one pin fits whichever gateway a client reaches.
        string certificate = Path.Combine(data, Path.GetFileName(certificateFile));
        if (certificate != certificateFile)
        {
            File.Copy(certificateFile, certificate);
            File.SetUnixFileMode(certificate, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        string address = BalancedSiteNetwork.GatewayAddress(index);
        var config = new JsonObject
        {
            ["DataDirectory"] = data,
            ["Listener"] = new JsonObject { ["Address"] = address, ["Port"] = port },
            ["Network"] = new JsonObject
            {
                ["IPv4Pool"] = GatewayInstance.Pool,
                ["DnsServers"] = new JsonArray("198.18.2.53"),
                ["DefaultDomain"] = "corp.opentunnel.test",
                ["SplitInclude"] = new JsonArray("198.18.2.0/24"),
            },
            ["Limits"] = new JsonObject { ["AuthAttemptsPerMinute"] = 0, ["MaxPreAuthPerAddress"] = 1024, ["BanScore"] = 0 },
            ["Metrics"] = new JsonObject { ["Address"] = address + ":9464" },
            ["Udp"] = new JsonObject { ["AdvertisedPort"] = advertisedUdpPort },
            ["Auth"] = new JsonObject
            {
                ["Issuer"] = GatewayInstance.Issuer,
                ["Audience"] = GatewayInstance.Audience,
                ["JwksFile"] = jwksFile,
                ["RequiredClaims"] = new JsonArray(new JsonObject { ["Claim"] = "compliance", ["AnyOf"] = new JsonArray("compliant") }),
            },
        };
        string configFile = Path.Combine(directory, "gateway.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        var process = BalancedSiteNetwork.Start(ns, "dotnet", [GatewayInstance.GatewayAssembly(), "run", "--config", configFile]);
        try
        {
            await process.WaitForOutputAsync("Listening on", TimeSpan.FromSeconds(60));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new BalancedGateway(index, directory, process);
    }

    public string Name => string.Create(CultureInfo.InvariantCulture, $"gw{Index + 1}");

    public async Task<JsonNode?> ControlAsync(JsonObject request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await ControlClient.SendAsync(ControlSocket, request, timeout.Token);
    }

    /// <summary>The sessions the gateway holds now: id, user and channel of each; none once it stopped.</summary>
    public async Task<IReadOnlyList<(string Id, string User, string Channel)>> SessionsAsync()
    {
        if (Process.HasExited)
        {
            return [];
        }

        JsonArray sessions = (await ControlAsync(new JsonObject { ["command"] = "sessions" }))!.AsArray();
        return [.. sessions.Select(s => (s!["id"]!.ToString(), s["user"]!.GetValue<string>(), s["channel"]!.GetValue<string>()))];
    }

    public void Dispose()
    {
        Process.Terminate(TimeSpan.FromSeconds(10));

        Process.Dispose();
    }
}
