using System.Collections;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Client.PerApp;
using OpenTunnel.CommandLine;

namespace OpenTunnel.Client.Cli;

/// <summary>
/// <c>opentunnel app-tunnel-script --namespace NAME</c>: the vpnc-script <c>connect</c> gives
/// openconnect for a per-app profile (<see cref="CommandFor"/>). At <c>reason=connect</c> it moves
/// the TUN device into the profile's namespace and configures it there (<see cref="AppTunnelPlan"/>);
/// the other reasons need nothing: the device goes with openconnect's end, and it stays in the
/// namespace, configured, through openconnect's reconnects.
/// </summary>
public static class AppTunnelScriptVerb
{
    public const string Name = "app-tunnel-script";

    public static Task<int> RunAsync(ClientArguments arguments, ClientEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        string netns = arguments["namespace"]!;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        if (variables.GetValueOrDefault("reason") != "connect")
        {
            return Task.FromResult(ExitCodes.Success);
        }

        try
        {
            if (!AppNamespace.Exists(netns))
            {
                throw new HostCommandException($"The namespace {netns} does not exist (it is made by 'opentunnel connect' before openconnect starts).");
            }

            AppTunnelPlan plan = AppTunnelPlan.ForConnect(variables, netns);
            AppNamespace.Apply(plan, netns);
            environment.Error.WriteLine($"Per-app tunnel: {plan.Device} is in namespace {netns}; only 'opentunnel run' commands of the profile use it.");
            return Task.FromResult(ExitCodes.Success);
        }
        catch (FormatException e)
        {
            environment.Error.WriteLine($"openconnect passed a tunnel this script cannot configure: {e.Message}");
            return Task.FromResult(ExitCodes.DataError);
        }
        catch (HostCommandException e)
        {
            environment.Error.WriteLine($"The per-app tunnel cannot be configured: {e.Message}");
            return Task.FromResult(ExitCodes.OsError);
        }
    }

    /// <summary>
    /// The <c>--script</c> for openconnect, which runs it with <c>/bin/sh -c</c>: this program again
    /// (through the dotnet host when it runs as <c>dotnet opentunnel.dll</c>) with this verb.
    /// </summary>
    public static string CommandFor(string netns)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The client's own executable is unknown.");
        string self = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? $"{Quote(host)} {Quote(Path.Combine(AppContext.BaseDirectory, typeof(AppTunnelScriptVerb).Assembly.GetName().Name + ".dll"))}"
            : Quote(host);
        return $"{self} {Name} --namespace {Quote(netns)}";
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
