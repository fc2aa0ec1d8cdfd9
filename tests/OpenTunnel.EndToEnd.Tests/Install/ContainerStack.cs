using System.Text.Json;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Install;

/// <summary>
/// The images of deploy/images/build.sh (<see cref="ContainerImages"/>) and the
/// management image running in the topology's "internet" namespace (198.18.3.10: the API on
/// :9443 over HTTPS with the deployment CA's certificate, the agent endpoint on :8444), with podman's settings from deploy/images/containers.conf.
/// The gateway namespace is the server the install script runs on; it reaches the management
/// service through 198.18.3.1, which is also the address the readiness probe comes back to.
/// Every container, image and volume made here is removed in Dispose.
/// </summary>
public sealed class ContainerStack : IAsyncLifetime
{
    public const string ManagementAddress = NetworkTopology.InternetAddress;

    public NetworkTopology Topology { get; private set; } = null!;

    public TemporaryDirectory Directory { get; } = new();

    public string Root => ContainerImages.Root;

    public string Images => ContainerImages.Folder;

    public string ContainersConf => ContainerImages.ContainersConf;

    public string ManagementContainer { get; private set; } = null!;

    public string ManagementApi => $"https://{ManagementAddress}:9443";

    /// <summary>The deployment's CA, copied out of the management container: what the tests' curl trusts.</summary>
    public string CaFile => Path.Combine(Directory.Path, "agent-ca.pem");

    public string AdminKey { get; private set; } = null!;

    /// <summary>How long the image build took, for the test log.</summary>
    public TimeSpan BuildTime { get; private set; }

    public async Task InitializeAsync()
    {
        Prerequisites.RequireRootAndCommands("podman", "mmdebstrap", "runc", "ip", "nft", "openconnect", "perl", "openssl", "curl", "dotnet");
        BuildTime = ContainerImages.Build();

        // The installer must load the gateway image itself (and uninstall must remove it): the
        // copy the build left in podman's storage goes; the archive stays.
        Podman("rmi", "-f", "localhost/opentunnel-gateway:" + ContainerImages.Tag);

        Topology = NetworkTopology.Create(withInternet: true);
        ManagementContainer = Topology.Prefix + "-management";
        Podman("run", "-d", "--name", ManagementContainer, "--network", $"ns:/run/netns/{Topology.Internet}",
            "-v", ManagementContainer + ":/var/lib/opentunnel/management",
            "-e", $"ASPNETCORE_URLS=https://{ManagementAddress}:9443",
            "localhost/opentunnel-management:" + ContainerImages.Tag).EnsureSuccess();
        for (int i = 0; ; i++)
        {
            // The CA is made at the first start; until then the service does not answer either.
            CommandResult ca = Podman("exec", ManagementContainer, "cat", "/var/lib/opentunnel/management/agent-ca.pem");
            if (ca.Succeeded)
            {
                await File.WriteAllTextAsync(CaFile, ca.StandardOutput);
                if (Topology.Exec(Topology.Gateway, "curl", "-fsS", "--cacert", CaFile, $"{ManagementApi}/healthz").Succeeded)
                {
                    break;
                }
            }

            if (i > 120)
            {
                throw new InvalidOperationException("The management container did not answer: " + Podman("logs", ManagementContainer).StandardError);
            }

            await Task.Delay(500);
        }

        AdminKey = Podman("exec", ManagementContainer, "cat", "/var/lib/opentunnel/management/admin-api-key").EnsureSuccess().StandardOutput.Trim();
    }

    public CommandResult Podman(params string[] arguments) => Podman(arguments, Command.DefaultTimeout);

    public CommandResult Podman(IReadOnlyList<string> arguments, TimeSpan timeout) => ContainerImages.Podman(arguments, timeout);

    /// <summary>Calls the management API from the server namespace with the administrator key.</summary>
    public JsonElement Api(string method, string path, object body) =>
        ManagementCurl.Call(Topology, Topology.Gateway, CaFile, AdminKey, method, ManagementApi + path, body);

    /// <summary>A site on port 443 with the test pool, and a one-time token for it: (site name, install line, token).</summary>
    public (string Site, string InstallLine, string Token) NewSiteToken()
    {
        string name = "site-" + Guid.NewGuid().ToString("N")[..8];
        JsonElement configuration = Api("POST", "/api/v1/configurations", new { name, ipv4Range = "198.18.128.0/24", port = 443 });
        JsonElement site = Api("POST", "/api/v1/sites", new { name, publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = configuration.GetProperty("id").GetString() });
        JsonElement token = Api("POST", $"/api/v1/sites/{site.GetProperty("id").GetString()}/enrolment-tokens", new { validForHours = 1 });
        return (name, token.GetProperty("installLine").GetString()!, token.GetProperty("token").GetString()!);
    }

    public Task DisposeAsync()
    {
        if (ManagementContainer is not null)
        {
            Podman("rm", "-f", "-t", "5", ManagementContainer);
            Podman("volume", "rm", "-f", ManagementContainer);
        }

        Topology?.Dispose();
        Directory.Dispose();
        return Task.CompletedTask;
    }
}
