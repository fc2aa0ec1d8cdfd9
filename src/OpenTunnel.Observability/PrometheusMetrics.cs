using System.Diagnostics.Metrics;
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
/// The SDK listens to meters by name across the whole process; a view keeps only the meters of one
/// host (made by its <see cref="IMeterFactory"/>, or with no factory at all), so two hosts in one
/// process (as in the tests) each expose their own measurements.
/// </summary>
public static class PrometheusMetrics
{
    public const string Path = "/metrics";

    /// <summary>
    /// Exports the meters named <paramref name="meterNames"/> (System.Diagnostics.Metrics) for
    /// Prometheus: those that <paramref name="owner"/> made (default: this container's
    /// <see cref="IMeterFactory"/>) and those made without a factory.
    /// </summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services, string[] meterNames, IMeterFactory? owner = null)
    {
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            // Within a service collection the builder is the deferred one, which sees the container.
            var deferred = (IDeferredMeterProviderBuilder)metrics.AddMeter(meterNames);
            deferred.Configure((provider, builder) =>
            {
                IMeterFactory factory = owner ?? provider.GetRequiredService<IMeterFactory>();
                builder.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop);
            });
            metrics.AddPrometheusExporter();
        });
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
