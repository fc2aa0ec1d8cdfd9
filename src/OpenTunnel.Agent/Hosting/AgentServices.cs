using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Commands;
using OpenTunnel.Agent.Configuration;
using OpenTunnel.Agent.Gateway;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Telemetry;
using OpenTunnel.Observability;

namespace OpenTunnel.Agent.Hosting;

/// <summary>
/// The running agent's parts, composed by the Generic Host: six loops over one mutual-TLS link
/// (<see cref="FollowLoop"/>, <see cref="TelemetryLoop"/>, <see cref="AccessLogLoop"/>, <see cref="SessionSnapshotLoop"/>, <see cref="ProbeLoop"/>,
/// <see cref="RenewalLoop"/>) sharing <see cref="AgentState"/>, and the metrics and health
/// endpoint on loopback (<see cref="AgentOptions.MetricsAddress"/>).
/// Log event ids: 1xx link, 2xx telemetry, 3xx configuration, 4xx commands, 5xx certificate.
/// </summary>
public static class AgentServices
{
    /// <summary>The log category of the loops (the parts they call log under their own).</summary>
    public const string LogCategory = "OpenTunnel.Agent";

    /// <summary>Adds the agent of an enrolled server in <see cref="AgentOptions.DataDirectory"/>, its loops as hosted services.</summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, AgentOptions options, RecentLogLines recentLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(recentLog);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IGatewayControl>(new GatewayControlSocket(options.GatewayControlSocket));
        services.AddSingleton(new AgentIdentityStore(options.DataDirectory));
        services.AddSingleton(new AppliedConfigurationStore(options.DataDirectory));
        services.AddSingleton(sp => new AgentState(sp.GetRequiredService<AgentIdentityStore>().Load(), sp.GetRequiredService<AppliedConfigurationStore>().Load()));
        services.AddSingleton(sp => new ManagementLink(sp.GetRequiredService<AgentState>().Identity));
        services.AddSingleton(sp => new ConfigurationApplier(
            sp.GetRequiredService<IGatewayControl>(), options.GatewayConfigurationFile, sp.GetRequiredService<AppliedConfigurationStore>(),
            sp.GetRequiredService<TimeProvider>(), Logger(sp, "OpenTunnel.Agent.Configuration")));
        services.AddSingleton(sp => new DurableQueue<TelemetrySample>(Path.Combine(options.DataDirectory, "telemetry"), options.QueueCapacity, Logger(sp, LogCategory)));
        services.AddSingleton(sp => new DurableQueue<AccessRecord>(Path.Combine(options.DataDirectory, "access-log"), options.AccessLogQueueCapacity, Logger(sp, LogCategory)));
        services.AddSingleton(_ => new InternalProbe(TimeSpan.FromSeconds(options.ProbeTimeoutSeconds)));
        services.AddSingleton(sp => new TelemetryCollector(sp.GetRequiredService<IGatewayControl>(), sp.GetRequiredService<InternalProbe>(), options.DataDirectory, AgentVersion.Current));
        services.AddSingleton(sp => new CommandRunner(sp.GetRequiredService<IGatewayControl>(), recentLog, options.GatewayLogFile, Logger(sp, "OpenTunnel.Agent.Commands")));
        services.AddSingleton(sp => new CertificateRenewer(sp.GetRequiredService<AgentIdentityStore>(), options.RenewWhenRemainingPercent, Logger(sp, "OpenTunnel.Agent.Certificate")));
        services.AddSingleton<GatewayDrain>();
        services.AddHostedService<FollowLoop>();
        services.AddHostedService<TelemetryLoop>();
        services.AddHostedService<AccessLogLoop>();
        services.AddHostedService<SessionSnapshotLoop>();
        services.AddHostedService<ProbeLoop>();
        services.AddHostedService<RenewalLoop>();
        services.AddMetrics();
        services.AddSingleton<AgentMetrics>();
        services.AddHealthChecks().AddCheck<ManagementLinkReadiness>("management-link", tags: [HealthEndpoints.ReadyTag]);
        if (options.MetricsEndPoint is { } endPoint)
        {
            services.AddSingleton(sp => new LoopbackHttpEndpoint(
                endPoint, sp.GetRequiredService<IMeterFactory>(), [AgentMetrics.MeterName], sp.GetRequiredService<HealthCheckService>(), sp.GetRequiredService<ILoggerFactory>()));
            services.AddHostedService(sp => sp.GetRequiredService<LoopbackHttpEndpoint>());
        }

        return services;
    }

    private static ILogger Logger(IServiceProvider services, string category) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(category);

    /// <summary>Ready while the management service answers the agent's requests (the gateway keeps its configuration when it does not).</summary>
    private sealed class ManagementLinkReadiness(AgentState state) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(state.LinkUp ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the management service did not answer the last request"));
    }
}
