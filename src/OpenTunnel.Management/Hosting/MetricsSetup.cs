using OpenTunnel.Identity.Tokens;
using OpenTunnel.Observability;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The service's metrics (<see cref="PrometheusMetrics"/>, shared with the agent): the service's
/// meter, the identity provider's, and ASP.NET Core's requests (<c>http.server.request.duration</c>
/// by route and status) and Kestrel's connections, at <see cref="PrometheusMetrics.Path"/> for
/// loopback only; the agent endpoint's port never serves it.
/// </summary>
public static class MetricsSetup
{
    public static IServiceCollection AddManagementMetrics(this IServiceCollection services)
    {
        services.AddSingleton<ManagementMetrics>();
        services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, DatabaseTiming>();
        return services.AddPrometheusMetrics([ManagementMetrics.MeterName, TokenMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"]);
    }
}
