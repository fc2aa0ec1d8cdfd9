using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Settings;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// HTTPS for the management API and the identity provider (docs/management.md#https): the
/// operator's addresses bound with the <see cref="ServiceCertificate"/>, plain http refused but on
/// loopback when asked for, Strict-Transport-Security on HTTPS answers, and the deployment CA's pin
/// printed at start and stored in the data directory for clients to pin.
/// </summary>
public static class HttpsSetup
{
    /// <summary>The file in the data directory holding the pin of the deployment's CA (one line).</summary>
    public const string PinFileName = "ca-pin";

    public static WebApplicationBuilder AddManagementHttps(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HttpsOptions>().Bind(builder.Configuration.GetSection(HttpsOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpsOptions>, HttpsOptionsValidator>();
        builder.Services.AddSingleton<ServiceCertificate>();

        // Known only here, where the HTTPS certificate is: whether gateways are to trust the embedded provider by the deployment CA's pin.
        builder.Services.AddSingleton(services => GatewayIssuerTrust.For(
            services.GetRequiredService<IOptions<AgentLinkOptions>>().Value.GatewayAuth,
            services.GetRequiredService<IdentityProviderOptions>().Issuer,
            !services.GetRequiredService<ServiceCertificate>().IsOperatorCertificate,
            services.GetRequiredService<InternalCertificateAuthority>().Pin));
        builder.Services.AddHostedService<HttpsStartup>();
        builder.Services.AddOptions<HstsOptions>().Configure<IOptions<HttpsOptions>>((hsts, https) =>
        {
            hsts.MaxAge = TimeSpan.FromDays(https.Value.HstsMaxAgeDays);

            // ASP.NET Core leaves out localhost and the loopback addresses by default; browsers
            // ignore the header for IP addresses anyway (RFC 6797 §8.1), so every HTTPS answer carries it.
            hsts.ExcludedHosts.Clear();
        });
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            IServiceProvider services = kestrel.ApplicationServices;
            var certificate = services.GetRequiredService<ServiceCertificate>();
            HttpsOptions options = services.GetRequiredService<IOptions<HttpsOptions>>().Value;
            var handshake = new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate.Current,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }),
            };
            HostingUrls.Bind(context.Configuration, kestrel, listen => listen.UseHttps(handshake), options.AllowLoopbackHttp);
            certificate.LoadAtStart();
        });
        return builder;
    }

    /// <summary>
    /// The deployment CA's certificate at <see cref="DeploymentTrust.AuthorityPath"/>, without sign-in:
    /// TLS servers do not send their root, so a client given only the pin reads it here and believes
    /// it only when the pin matches.
    /// </summary>
    public static IEndpointRouteBuilder MapDeploymentCa(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(DeploymentTrust.AuthorityPath, (InternalCertificateAuthority authority) => TypedResults.Text(authority.CertificatePem, "application/x-pem-file"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}

/// <summary>At start: prints the deployment CA's pin (what clients give as --ca-pin) and writes it (and, on PostgreSQL, the CA certificate) to the data directory.</summary>
internal sealed partial class HttpsStartup(
    InternalCertificateAuthority authority, ServiceCertificate certificate, IOptions<ManagementOptions> management, ILogger<HttpsStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string directory = management.Value.DataDirectory;
        string pinFile = Path.Combine(directory, HttpsSetup.PinFileName);
        await File.WriteAllTextAsync(pinFile, authority.Pin + "\n", cancellationToken);

        // On PostgreSQL the CA lives in the shared secrets; its certificate (public) is written here
        // as on SQLite, for --ca-file and for the console's own calls to the identity provider.
        if (management.Value.UsesPostgres)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, InternalCertificateAuthority.CertificateFileName), authority.CertificatePem + "\n", cancellationToken);
        }

        if (certificate.IsOperatorCertificate)
        {
            LogOperatorCertificate(logger, authority.Pin, pinFile);
        }
        else
        {
            LogDeploymentCa(logger, authority.Pin, pinFile, Path.Combine(directory, InternalCertificateAuthority.CertificateFileName));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "HTTPS with a certificate of the deployment's CA: clients trust it with --ca-pin {Pin} (also in {PinFile}) or --ca-file {CaFile}.")]
    private static partial void LogDeploymentCa(ILogger logger, string pin, string pinFile, string caFile);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Information, Message = "HTTPS with the operator's certificate; the deployment's CA (agents' --ca-pin) is {Pin}, also in {PinFile}.")]
    private static partial void LogOperatorCertificate(ILogger logger, string pin, string pinFile);
}
