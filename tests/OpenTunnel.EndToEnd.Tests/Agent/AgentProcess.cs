using System.Globalization;
using OpenTunnel.EndToEnd.Tests.Gateway;
using OpenTunnel.EndToEnd.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.EndToEnd.Tests.Agent;

/// <summary>
/// A real <c>opentunnel-agent run</c> process beside a <see cref="GatewayInstance"/>: it enrols
/// with the token at its first start (settings through OPENTUNNEL_AGENT_* variables, as in a
/// container), rewrites the gateway's configuration file and talks to its control socket. It runs
/// in the root namespace because the management service listens on loopback there; it reaches
/// the gateway through the socket file. Telemetry and session snapshots every second.
/// </summary>
public static class AgentProcess
{
    public static Task<TrackedProcess> StartAsync(GatewayInstance gateway, ManagementProcess management, string token, string dataDirectory, IReadOnlyList<string>? launcher = null) =>
        StartAsync(gateway.ControlSocket, gateway.ConfigFile, "gw-e2e", management, token, dataDirectory, launcher);

    /// <summary>
    /// An agent named <paramref name="serverName"/> for the gateway with that control socket and configuration file;
    /// <paramref name="launcher"/> (a command and its arguments) runs it when given.
    /// </summary>
    public static async Task<TrackedProcess> StartAsync(string controlSocket, string configFile, string serverName, ManagementProcess management, string token, string dataDirectory,
        IReadOnlyList<string>? launcher = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["OPENTUNNEL_AGENT_DATADIRECTORY"] = dataDirectory,
            ["OPENTUNNEL_AGENT_MANAGEMENTURL"] = management.AgentUrl,
            // The token from the environment, as in a container: never on the command line.
            ["OPENTUNNEL_ENROL_TOKEN"] = token,
            ["OPENTUNNEL_AGENT_CAPIN"] = await management.CaPinAsync(),
            ["OPENTUNNEL_AGENT_SERVERNAME"] = serverName,
            ["OPENTUNNEL_AGENT_GATEWAYCONTROLSOCKET"] = controlSocket,
            ["OPENTUNNEL_AGENT_GATEWAYCONFIGURATIONFILE"] = configFile,
            ["OPENTUNNEL_AGENT_TELEMETRYINTERVALSECONDS"] = "1",
            ["OPENTUNNEL_AGENT_SESSIONSINTERVALSECONDS"] = "1",
            ["OPENTUNNEL_AGENT_POLLWAITSECONDS"] = "10",
            ["OPENTUNNEL_AGENT_RETRYSECONDS"] = "1",
            // A port of its own: tests run agents side by side in the root namespace.
            ["OPENTUNNEL_AGENT_METRICSADDRESS"] = $"127.0.0.1:{LoopbackPorts.Free()}",
        };
        string[] command = [.. launcher ?? [], "dotnet", SolutionOutput.Assembly("OpenTunnel.Agent", "opentunnel-agent.dll"), "run"];
        var process = TrackedProcess.Start(command[0], command[1..], environment: environment);
        await process.WaitForOutputAsync("Agent of server", TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>The server id the agent enrolled as, from the management service.</summary>
    public static async Task<string> ServerIdAsync(ManagementProcess management, string siteId)
    {
        var servers = await management.Api.WaitForAsync($"/api/v1/servers?siteId={siteId}", s => s.GetProperty("totalCount").GetInt32() == 1, TimeSpan.FromSeconds(10), "the agent's server appears in the site");
        return servers.GetProperty("items")[0].GetProperty("id").GetString()!;
    }

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
}
