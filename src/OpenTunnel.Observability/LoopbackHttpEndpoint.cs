using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Observability;

/// <summary>
/// For a process without a web host of its own (the agent): a small Kestrel listener on
/// <paramref name="endPoint"/> that serves <see cref="PrometheusMetrics.Path"/> for the meters
/// named that <paramref name="meters"/> (the process host's factory) made, and <see cref="HealthEndpoints.LivePath"/> and <see cref="HealthEndpoints.ReadyPath"/>
/// with the process's own health checks (<paramref name="health"/>), and nothing else. It lives
/// and stops with the process's host; a port that cannot be bound fails the host's start.
/// </summary>
public sealed class LoopbackHttpEndpoint(IPEndPoint endPoint, IMeterFactory meters, string[] meterNames, HealthCheckService health, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The address it listens on, with the port chosen when the end point asked for port 0; null before it started.</summary>
    public Uri? Address { get; private set; }

    /// <summary>The address and port it listens on (the port chosen when the end point asked for port 0); null before it started.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);

        // The process's host owns signals and shutdown; this one only follows it.
        builder.Services.AddSingleton<IHostLifetime, FollowingLifetime>();
        builder.Services.AddSingleton(health);
        builder.Services.AddPrometheusMetrics(meterNames, meters);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint));
        _app = builder.Build();
        _app.UseRouting();
        _app.UsePrometheusMetricsEndpoint();
        _app.MapLiveAndReady();
        await _app.StartAsync(cancellationToken);
        Address = new Uri(_app.Urls.First());
        EndPoint = new IPEndPoint(endPoint.Address, Address.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private sealed class FollowingLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
