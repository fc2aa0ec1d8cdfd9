using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Connections;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Hosting;

/// <summary>
/// The running gateway's parts, composed by the Generic Host. Each part gets what it uses, not
/// the host: the first configuration is checked (<see cref="GatewayStartup"/>) before the TUN
/// device and the nftables table are made (<see cref="TunnelInterface"/>), then the sessions, the
/// data plane and the sign-in; <see cref="GatewayServer"/> runs the listeners over them. The
/// container disposes the parts in the reverse order it made them, after the host stopped: the
/// data plane before the TUN device, and the meter with the <see cref="IMeterFactory"/> that owns it.
/// </summary>
public static class GatewayServices
{
    /// <summary>The log category of the gateway's start, stop and reload.</summary>
    public const string LogCategory = "OpenTunnel.Gateway";

    /// <summary>Adds the gateway that <paramref name="options"/> describe; <paramref name="configurationFile"/> (null: none) is what reload re-reads.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, GatewayOptions options, string? configurationFile)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Func<AuthOptions, IAccessTokenValidator>>(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            return auth => JwtAccessTokenValidator.Create(auth, loggers, dataDirectory: options.DataDirectory);
        });

        // The checks come first: the TUN device is made from the configuration they passed.
        services.AddSingleton(sp => GatewayStartup.Prepare(
            options, configurationFile, sp.GetRequiredService<Func<AuthOptions, IAccessTokenValidator>>(), sp.GetRequiredService<TimeProvider>(), Logger(sp, LogCategory)));
        services.AddSingleton(sp =>
        {
            var initial = sp.GetRequiredService<RunningConfiguration>();
            return TunnelInterface.Open(initial.Options, initial.Tunnel, Logger(sp, LogCategory));
        });
        services.AddSingleton(sp => AddressPools.For(sp.GetRequiredService<RunningConfiguration>().Tunnel));
        services.AddSingleton<PacketCounters>();
        services.AddSingleton<SessionTable>();
        services.AddSingleton(sp => new GatewayMetrics(sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<SessionTable>(), sp.GetRequiredService<PacketCounters>()));
        services.AddSingleton(sp =>
        {
            var initial = sp.GetRequiredService<RunningConfiguration>();
            var pools = sp.GetRequiredService<AddressPools>();
            return new TunDataPlane(sp.GetRequiredService<TunnelInterface>().Device, initial.Tunnel.TunMtu, pools.IPv4, pools.IPv6, sp.GetRequiredService<PacketCounters>(),
                sp.GetRequiredService<TimeProvider>(), Logger(sp, "OpenTunnel.Gateway.DataPlane"))
            {
                AllowClientToClient = initial.Options.Network.AllowClientToClient,
                TlsWindowClamp = initial.Options.Network.TlsWindowClamp,
                DtlsWindowClamp = initial.Options.Network.DtlsWindowClamp,
            };
        });
        services.AddSingleton(sp =>
        {
            var pools = sp.GetRequiredService<AddressPools>();
            return new SessionSupervisor(sp.GetRequiredService<SessionTable>(), pools.IPv4, pools.IPv6, sp.GetRequiredService<TunDataPlane>(), sp.GetRequiredService<PacketCounters>(),
                sp.GetRequiredService<TimeProvider>(), Logger(sp, LogCategory), sp.GetRequiredService<TunnelInterface>().Sessions);
        });
        services.AddSingleton(sp => new SessionStore(Path.Combine(options.DataDirectory, SessionFile.FileName), sp.GetRequiredService<SessionTable>(), Logger(sp, LogCategory)));
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var revocations = AccessRevocations.Load(Path.Combine(options.DataDirectory, AccessRevocations.FileName), time, out string? problem, Logger(sp, LogCategory));
            if (problem is not null)
            {
                GatewayLog.RevocationsUnreadable(Logger(sp, LogCategory), problem);
            }

            return new SignInService(sp.GetRequiredService<SessionTable>(), new AuthRateLimiter(time), revocations, new BanList(time), sp.GetRequiredService<GatewayMetrics>(), time,
                Logger(sp, "OpenTunnel.Gateway.SignIn"));
        });
        services.AddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<GatewayMetrics>();
            var bans = sp.GetRequiredService<SignInService>().Bans;
            var gate = new PreAuthGate(new PreAuthBudget(), bans, metrics, sp.GetRequiredService<TimeProvider>(), Logger(sp, GatewayServer.ConnectionLogCategory));
            metrics.ObservePreAuth(() => gate.Budget.Count, () => bans.BannedCount);
            return gate;
        });
        services.AddSingleton(sp => new ServiceManagerNotifier(sp.GetService<ISystemdNotifier>()));
        services.AddSingleton(sp => new GatewayConfiguration(
            sp.GetRequiredService<RunningConfiguration>(), configurationFile, sp.GetRequiredService<Func<AuthOptions, IAccessTokenValidator>>(), sp.GetRequiredService<TunnelInterface>(),
            sp.GetRequiredService<TunDataPlane>(), sp.GetRequiredService<ServiceManagerNotifier>(), sp.GetRequiredService<TimeProvider>(), Logger(sp, LogCategory)));
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<GatewayConfiguration>();
            var watch = new CertificateWatch(configuration, configuration.Apply, sp.GetRequiredService<TimeProvider>(), Logger(sp, LogCategory));
            sp.GetRequiredService<GatewayMetrics>().ObserveCertificate(() => watch.Current().NotAfter);
            return watch;
        });
        GatewayReadiness.Register(services.AddHealthChecks()
            .Add(new HealthCheckRegistration(CertificateWatch.CheckName, sp => sp.GetRequiredService<CertificateWatch>(), failureStatus: null, tags: [OpenTunnel.Observability.HealthEndpoints.ReadyTag])));
        services.AddSingleton(sp => new GatewayServer(
            sp.GetRequiredService<GatewayConfiguration>(), sp.GetRequiredService<TunDataPlane>(), sp.GetRequiredService<SessionTable>(), sp.GetRequiredService<SessionSupervisor>(),
            sp.GetRequiredService<SessionStore>(), sp.GetRequiredService<SignInService>(), sp.GetRequiredService<PreAuthGate>(), sp.GetRequiredService<PacketCounters>(), sp.GetRequiredService<GatewayMetrics>(),
            sp.GetRequiredService<CertificateWatch>(), sp.GetRequiredService<HealthCheckService>(), sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<GatewayServer>());
        return services;
    }

    private static ILogger Logger(IServiceProvider services, string category) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(category);

    /// <summary>The address pools, one of each per gateway: the sessions lease from them and the data plane routes by them.</summary>
    private sealed record AddressPools(IPv4AddressPool IPv4, IPv6AddressPool? IPv6)
    {
        public static AddressPools For(TunnelSettings tunnel) =>
            new(new IPv4AddressPool(tunnel.Pool), tunnel.IPv6Pool is { } pool6 ? new IPv6AddressPool(pool6) : null);
    }
}
