using OpenTunnel.Management.Cli;
using OpenTunnel.Management.Hosting;

// "opentunnel-management VERB ..." is the administrator CLI; anything else runs the service.
if (AdminCli.Handles(args))
{
    return await AdminCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}

WebApplication app = ManagementHost.Build(args);
await app.RunAsync();
return 0;

/// <summary>The entry point, named so tests can host it (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
