using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Hosting;
using OpenTunnel.Management.Access;
using OpenTunnel.Management.AdminConsole;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Install;
using OpenTunnel.Management.Profiles;
using OpenTunnel.Management.Sessions;
using OpenTunnel.Management.Settings;

using OpenTunnel.Observability;

namespace OpenTunnel.Management.Hosting;

/// <summary>Builds the web application: settings, database, sign-in, the API and its OpenAPI document, the web console.</summary>
public static class ManagementHost
{
    /// <summary>
    /// The AppContext switch with which an in-process host (the tests' WebApplicationFactory) runs
    /// the service from the entry point without the <c>serve</c> verb.
    /// </summary>
    public const string ServeWithoutVerbSwitch = "OpenTunnel.Management.ServeWithoutVerb";

    /// <summary>
    /// What is wrong with the settings when <paramref name="exception"/> is a refused setting (a
    /// value the validators refused, or one that is not of the setting's type), naming the setting;
    /// null for any other failure.
    /// </summary>
    public static string? ConfigurationProblem(Exception exception) => exception switch
    {
        OptionsValidationException refused => string.Join(" ", refused.Failures),
        InvalidOperationException { InnerException: FormatException format } conversion
            when conversion.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => $"{conversion.Message} {format.Message}",
        _ => null,
    };

    /// <summary>Builds the service; <paramref name="configure"/> runs last on the builder (hosts such as tests add their log providers there).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

        // Under systemd (Type=notify) readiness and stopping are reported to the service manager;
        // elsewhere this does nothing. Before the console logger: the lines keep the format of
        // Management:LogFormat under systemd too.
        builder.Host.UseSystemd();
        LogFormat format = builder.Configuration.GetSection(ManagementOptions.Section).GetValue(nameof(ManagementOptions.LogFormat), LogFormat.Simple);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(format);

        // Every SQL statement at Information drowns the service's own lines; settings may lower it again.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddOptions<ManagementOptions>()
            .Bind(builder.Configuration.GetSection(ManagementOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ManagementOptions>, ManagementOptionsValidator>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<ManagementOptions>>((o, m) => TrustedProxies.Configure(o, m.Value.TrustedProxies));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddManagementDatabase();
        builder.Services.AddHostedService<DatabaseStartup>();

        // The embedded identity provider (docs/identity.md), after DatabaseStartup so its start-up finds the schema.
        // On PostgreSQL its keys are shared secrets in the database, so replicas sign with the same keys.
        builder.Services.AddSingleton<DatabaseSecretStore>();
        builder.Services.AddOpenTunnelIdentity<ManagementDbContext>(
            sp => Path.Combine(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ManagementOptions>>().Value.DataDirectory, "identity"),
            sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ManagementOptions>>().Value.UsesPostgres ? sp.GetRequiredService<DatabaseSecretStore>() : null);
        builder.Services.AddScoped<IdentityDirectory>();
        builder.Services.AddScoped<IUserDirectory>(sp => sp.GetRequiredService<IdentityDirectory>());
        builder.Services.AddScoped<IDeviceDirectory>(sp => sp.GetRequiredService<IdentityDirectory>());
        builder.Services.AddScoped<IConditionalAccess>(sp => sp.GetRequiredService<IdentityDirectory>());
        builder.Services.AddScoped<IGatewaySessions, AgentChannelGateways>();
        builder.Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, AccessChangeInterceptor>();
        builder.Services.AddManagementAuthorization();
        builder.Services.AddManagementConsole();
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();

        // A database that is down is one warning line per request (event 2011), not an error with a stack trace.
        builder.Services.Configure<ExceptionHandlerOptions>(o => o.SuppressDiagnosticsCallback = c =>
            c.ExceptionHandledBy == Microsoft.AspNetCore.Diagnostics.ExceptionHandledType.ExceptionHandlerService && DatabaseUnavailableHandler.TransientCause(c.Exception) is not null);
        builder.Services.AddManagementOpenApi();
        builder.AddAgentLink();
        builder.AddManagementHttps();
        builder.Services.AddInstallRateLimits();
        builder.Services.AddServiceHealth();
        builder.Services.AddManagementMetrics();

        configure?.Invoke(builder);

        WebApplication app = builder.Build();

        // First, so that everything after (the sign-in throttle, the logs, the issuer's scheme) sees the
        // client behind a trusted proxy. Only with a list: ASP.NET Core's middleware with empty lists trusts every peer.
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ManagementOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseHsts();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Routing first, so the agent endpoint's port can be limited to the agent routes and
        // enrolment by the endpoint matched, before any sign-in or the identity provider runs.
        app.UseRouting();
        app.UseAgentEndpointScope();
        app.UsePrometheusMetricsEndpoint();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseManagementConsole();
        app.MapOpenApi();
        app.MapApiReference();
        app.MapServiceHealth();
        app.MapInstallScript();
        app.MapManagementApi().MapAgentAdministration().MapSessions().MapInstallApi();
        app.MapAgentLink();
        app.MapDeploymentCa();
        app.MapOpenTunnelIdentity();
        app.MapProfileDelivery();
        app.MapManagementConsole();
        return app;
    }
}
