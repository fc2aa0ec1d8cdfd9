using System.Text.Json;
using System.Text.Json.Nodes;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// A gateway in a fresh topology, a management service with a site whose configuration matches
/// the gateway's (pool, port, corp route, DNS 198.18.2.53), and an agent enrolled into the site
/// with a one-time token; ready once the server is online and runs the site's configuration.
/// </summary>
public sealed class AgentStack : IDisposable
{
    private readonly TemporaryDirectory _directory;

    private AgentStack(TemporaryDirectory directory, ManagementProcess management)
    {
        _directory = directory;
        Management = management;
    }

    public GatewayInstance Gateway { get; private set; } = null!;

    public ManagementProcess Management { get; }

    public TrackedProcess Agent { get; private set; } = null!;

    public string Configuration { get; private set; } = null!;

    public string Server { get; private set; } = null!;

    public string Site { get; private set; } = null!;

    /// <summary>The server's health when it first ran the site's configuration.</summary>
    public JsonElement Online { get; private set; }

    /// <summary>
    /// Starts the management service, then the gateway (with the settings <paramref name="gatewaySettings"/>
    /// makes from the running service and a folder for its files, if given), then the agent (run by
    /// <paramref name="agentLauncher"/>, a command and its arguments, when given) with an enrolment
    /// token for the site from <paramref name="enrolmentToken"/> (given the service and the site's id;
    /// the API's by default). <paramref name="managementLauncher"/> runs the service when given.
    /// </summary>
    public static async Task<AgentStack> StartAsync(Func<ManagementProcess, string, Task<Action<JsonObject>>>? gatewaySettings = null, IReadOnlyList<string>? agentLauncher = null,
        Func<ManagementProcess, string, Task<string>>? enrolmentToken = null, IReadOnlyList<string>? managementLauncher = null)
    {
        var directory = new TemporaryDirectory();
        AgentStack? stack = null;
        try
        {
            stack = new AgentStack(directory, await ManagementProcess.StartAsync(directory.Subdirectory("management"), launcher: managementLauncher));
            Action<JsonObject>? configure = gatewaySettings is null ? null : await gatewaySettings(stack.Management, directory.Subdirectory("gateway-files"));
            stack.Gateway = await GatewayInstance.StartAsync(configure);
            AdminApiClient api = stack.Management.Api;
            stack.Configuration = (await api.PostAsync("/api/v1/configurations", AgentEndToEndTests.Configuration(["198.18.2.53"]))).GetProperty("id").GetString()!;
            stack.Site = (await api.PostAsync("/api/v1/sites", new { name = "e2e", publicAddress = NetworkTopology.GatewayPublicAddress, serverConfigurationId = stack.Configuration }))
                .GetProperty("id").GetString()!;
            string token = enrolmentToken is null
                ? (await api.PostAsync($"/api/v1/sites/{stack.Site}/enrolment-tokens", new { validForHours = 1 })).GetProperty("token").GetString()!
                : await enrolmentToken(stack.Management, stack.Site);
            stack.Agent = await AgentProcess.StartAsync(stack.Gateway, stack.Management, token, directory.Subdirectory("agent"), agentLauncher);
            stack.Server = await AgentProcess.ServerIdAsync(stack.Management, stack.Site);
            stack.Online = await api.WaitForAsync($"/api/v1/servers/{stack.Server}/health",
                h => h.GetProperty("state").GetString() == "online" && AgentEndToEndTests.Applied(h), TimeSpan.FromSeconds(20), "the server is online and runs the site's configuration");
            return stack;
        }
        catch
        {
            if (stack is not null)
            {
                stack.Dispose();
            }
            else
            {
                directory.Dispose();
            }

            throw;
        }
    }

    public void Dispose()
    {
        Agent?.Dispose();
        Management.Dispose();
        Gateway?.Dispose();
        _directory.Dispose();
    }
}
