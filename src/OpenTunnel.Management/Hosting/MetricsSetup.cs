using System.Net;
using OpenTelemetry.Metrics;
using OpenTunnel.Identity.Tokens;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The OpenTelemetry SDK with a Prometheus scrape endpoint at <see cref="Path"/>: the service's
/// meter, the identity provider's, and ASP.NET Core's requests (<c>http.server.request.duration</c>
/// by route and status) and Kestrel's connections. The endpoint answers only requests from
/// loopback that no proxy forwarded (no <c>X-Forwarded-For</c>); elsewhere the path is not served
/// (the agent endpoint's port never serves it), so the metrics do not reach the internet by default.
/// </summary>
public static class MetricsSetup
{
    public const string Path = "/metrics";

    public static IServiceCollection AddManagementMetrics(this IServiceCollection services)
    {
        services.AddSingleton<ManagementMetrics>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, DatabaseTiming>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ManagementMetrics.MeterName, TokenMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>After routing and the agent endpoint's scope, before sign-in.</summary>
    public static IApplicationBuilder UseManagementMetricsEndpoint(this IApplicationBuilder app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == Path && MayRead(context));

    /// <summary>A request from this host that no proxy forwarded.</summary>
    internal static bool MayRead(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address) && !context.Request.Headers.ContainsKey("X-Forwarded-For");
}
