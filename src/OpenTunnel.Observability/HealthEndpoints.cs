using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpenTunnel.Observability;

/// <summary>
/// A process's own health for load balancers and service managers: <see cref="LivePath"/>
/// answers 200 while the process serves requests at all; <see cref="ReadyPath"/> answers 200 only
/// when every check tagged <see cref="ReadyTag"/> is healthy, 503 otherwise. Both answer without
/// sign-in and name the checks and their state, never the reasons (they may name hosts); the
/// reasons go to the log.
/// </summary>
public static class HealthEndpoints
{
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";

    /// <summary>The tag of the checks <see cref="ReadyPath"/> runs.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Maps <see cref="LivePath"/> and <see cref="ReadyPath"/>, and the ready answer at each of <paramref name="readyAliases"/>.</summary>
    public static IEndpointRouteBuilder MapLiveAndReady(this IEndpointRouteBuilder endpoints, params string[] readyAliases)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var live = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync };
        endpoints.MapHealthChecks(LivePath, live);
        endpoints.MapHealthChecks(ReadyPath, ready);
        foreach (string alias in readyAliases)
        {
            endpoints.MapHealthChecks(alias, ready);
        }

        return endpoints;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"database":"Unhealthy","signing-keys":"Healthy"}}</c>.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString());
        return JsonSerializer.SerializeAsync(context.Response.Body, new HealthAnswer(report.Status.ToString(), checks), HealthJson.Default.HealthAnswer, context.RequestAborted);
    }

    internal sealed record HealthAnswer(string Status, Dictionary<string, string> Checks);
}

[JsonSerializable(typeof(HealthEndpoints.HealthAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class HealthJson : JsonSerializerContext;
