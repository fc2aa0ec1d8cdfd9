using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace OpenTunnel.Observability;

/// <summary>
/// The OpenTelemetry SDK with a Prometheus scrape endpoint at <see cref="Path"/> for the meters a
/// process names. The endpoint answers only requests from loopback that no proxy forwarded (no
/// <c>X-Forwarded-For</c>); elsewhere the path is not served, so the metrics do not reach the
/// internet by default.
/// </summary>
public static class PrometheusMetrics
{
    public const string Path = "/metrics";

    /// <summary>Exports the meters named <paramref name="meterNames"/> (System.Diagnostics.Metrics) for Prometheus.</summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services, params string[] meterNames)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(meterNames).AddPrometheusExporter());
        return services;
    }

    /// <summary>After routing (and any scope that limits what a port serves), before sign-in.</summary>
    public static IApplicationBuilder UsePrometheusMetricsEndpoint(this IApplicationBuilder app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == Path && MayRead(context));

    /// <summary>A request from this host that no proxy forwarded.</summary>
    public static bool MayRead(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address) && !context.Request.Headers.ContainsKey("X-Forwarded-For");
    }
}
