using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Wires the agent link into the service: settings, the internal CA, the mutual-TLS endpoint
/// (its own Kestrel port), agent sign-in by certificate, the change feed for long polls and the
/// background liveness check.
/// </summary>
public static partial class AgentLinkSetup
{
    public const string AgentPolicy = "agent";

    public static WebApplicationBuilder AddAgentLink(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.AddOptions<AgentLinkOptions>().Bind(builder.Configuration.GetSection(AgentLinkOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AgentLinkOptions>, AgentLinkOptionsValidator>();
        services.AddSingleton(sp =>
        {
            ManagementOptions management = sp.GetRequiredService<IOptions<ManagementOptions>>().Value;
            DateTimeOffset now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
            return management.UsesPostgres
                ? InternalCertificateAuthority.LoadOrCreateShared(sp.GetRequiredService<DatabaseSecretStore>(), management.DataDirectory, now)
                : InternalCertificateAuthority.LoadOrCreate(management.DataDirectory, now);
        });
        services.AddSingleton<AgentCaExpiryWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentCaExpiryWatch>());
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            AgentCaExpiryWatch.CheckName, sp => sp.GetRequiredService<AgentCaExpiryWatch>(), failureStatus: null, tags: [OpenTunnel.Observability.HealthEndpoints.ReadyTag]));
        services.AddSingleton<AgentEndpointCertificate>();
        services.AddSingleton<AgentEndpointBinding>();
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, ChangeNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        services.AddSingleton<SitePeers>();
        services.AddHostedService<AgentLinkStartup>();
        services.AddHostedService<ServerLivenessMonitor>();
        services.AddHostedService<OpenTunnel.Management.AccessLog.AccessLogRetention>();
        services.AddScoped<TelemetryIngest>();
        services.AddScoped<OpenTunnel.Management.AccessLog.AccessLogIngest>();
        services.AddScoped<SessionSnapshotIngest>();
        services.AddScoped<ServerHealthReader>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AgentCertificateAuthenticationHandler>(AgentCertificateAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(AgentPolicy, p => p
            .AddAuthenticationSchemes(AgentCertificateAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(AgentCertificateAuthenticationHandler.ServerIdClaim));
        builder.WebHost.ConfigureKestrel(ConfigureEndpoint);
        return builder;
    }

    /// <summary>
    /// The agent endpoint: TLS 1.2 or 1.3 with the CA-issued server certificate; it asks every
    /// client for a certificate and refuses in the handshake one the internal CA did not issue for
    /// client authentication. A client without one gets through the handshake, so that a new agent
    /// can enrol here with its token; every agent route then refuses it. Only the agent routes and
    /// enrolment are served on this port (<see cref="AgentEndpointScope"/>).
    /// </summary>
    private static void ConfigureEndpoint(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel)
    {
        IServiceProvider services = kestrel.ApplicationServices;
        AgentLinkOptions options = services.GetRequiredService<IOptions<AgentLinkOptions>>().Value;
        if (options.ListenEndPoint is not { } endPoint)
        {
            return;
        }

        var certificate = services.GetRequiredService<AgentEndpointCertificate>();
        var authority = services.GetRequiredService<InternalCertificateAuthority>();
        var clock = services.GetRequiredService<TimeProvider>();
        var binding = services.GetRequiredService<AgentEndpointBinding>();
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentLinkSetup));
        var handshake = new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                EndPoint? remote = context.Connection.RemoteEndPoint;
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate.Current,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    {
                        if (presented is null)
                        {
                            return true;
                        }

                        using X509Certificate2 client = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                        if (authority.Verify(client, InternalCertificateAuthority.ClientAuthentication, clock.GetUtcNow(), out string? problem))
                        {
                            return true;
                        }

                        LogHandshakeRefused(logger, remote?.ToString(), client.Subject, problem!);
                        return false;
                    },
                });
            },
        };
        kestrel.Listen(endPoint, listen =>
        {
            // Its connections are marked, so that only the agent routes and enrolment answer on this port.
            AgentEndpointScope.Mark(listen);
            binding.Listen = listen.UseHttps(handshake);
        });
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Refused a TLS client certificate on the agent endpoint from {Client}: '{Subject}': {Problem}.")]
    private static partial void LogHandshakeRefused(ILogger logger, string? client, string subject, string problem);
}
