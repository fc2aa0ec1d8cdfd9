using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Observability;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// The <c>run</c> verb's process: the Generic Host with the gateway's parts
/// (<see cref="GatewayServices"/>), logging one line per event in the format of
/// <see cref="LogOptions.Format"/>, stopped by SIGTERM or SIGINT; SIGHUP reloads the configuration
/// file (<see cref="GatewayConfiguration.ReloadOnHangup"/>), as the control socket's <c>reload</c>
/// does for <c>systemctl reload</c>. Under systemd (<c>Type=notify</c>) the host reports
/// <c>READY=1</c> once the listener serves and <c>STOPPING=1</c> when it stops.
/// </summary>
public static class GatewayHost
{
    public static IHost Build(GatewayOptions options, string? configurationFile, bool verbose)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // Before the console logger: under systemd this would switch the console to the journal's
        // format; the gateway's lines are in the format of its setting wherever it runs.
        builder.Services.AddSystemd();
        builder.Logging.AddConsole(options.Log.Format);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);

        // The host's own "Application started" lines say nothing the gateway's "Listening on" does
        // not, and a failed start is reported once, by the command line with its exit code.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.AddGateway(options, configurationFile);
        return builder.Build();
    }

    /// <summary>Runs the gateway until SIGTERM or SIGINT, reloading on SIGHUP; throws what a failed start threw.</summary>
    public static async Task RunAsync(GatewayOptions options, string? configurationFile, bool verbose)
    {
        using IHost host = Build(options, configurationFile, verbose);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; lifetime.StopApplication(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; lifetime.StopApplication(); });
        var configuration = host.Services.GetRequiredService<GatewayConfiguration>();
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ => configuration.ReloadOnHangup());
        });
        await host.RunAsync();
    }
}
