using OpenTunnel.CommandLine;
using OpenTunnel.Management.Cli;
using OpenTunnel.Management.Hosting;

// "opentunnel-management serve [HOST SETTINGS]" runs the service; the other verbs are the
// administrator CLI. An unknown verb is a usage error and starts nothing.
// The tests' in-memory host (WebApplicationFactory) calls this entry point with host settings
// only; it sets this switch first, which no command line can.
if (AppContext.TryGetSwitch(ManagementHost.ServeWithoutVerbSwitch, out bool serveWithoutVerb) && serveWithoutVerb)
{
    return await ServeAsync(args, CancellationToken.None);
}

return await AdminCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None, serve: ServeAsync);

static async Task<int> ServeAsync(string[] settings, CancellationToken cancellationToken)
{
    try
    {
        WebApplication app = ManagementHost.Build(settings);
        await app.RunAsync(cancellationToken);
        return ExitCodes.Success;
    }
    catch (Exception e) when (ManagementHost.ConfigurationProblem(e) is { } problem)
    {
        await Console.Error.WriteLineAsync($"opentunnel-management: the configuration is not valid: {problem}");
        return ExitCodes.Configuration;
    }
}

/// <summary>The entry point, named so tests can host it (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
