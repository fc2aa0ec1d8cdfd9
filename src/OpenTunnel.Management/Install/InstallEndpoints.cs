using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Install;

/// <summary>Body of POST /api/v1/enrolment/readiness: the site's enrolment token and the nonce the install script's responder answers with.</summary>
public sealed record ReadinessProbeRequest(string? Token, string? Nonce);

/// <summary>What the management service saw when it probed the caller's gateway port.</summary>
public sealed record ReadinessProbeAnswer(string Address, int Port, ProbeOutcome Tcp, ProbeOutcome? Udp, DateTime ServerTime);

/// <summary>Body of POST /api/v1/enrolment/status: the token the server enrolled with.</summary>
public sealed record EnrolmentStatusRequest(string? Token);

/// <summary>The server a token enrolled, as the management API sees it now.</summary>
public sealed record EnrolmentStatusAnswer(Guid ServerId, string ServerName, ServerState State, ServerHealth Health, string? HealthDetails);

/// <summary>
/// What the install script (deploy/install/opentunnel-setup) needs from the management service:
/// the script itself at GET /install.sh, an inbound reachability probe of the caller's gateway
/// port before it installs, and the enrolled server's health after. The two API calls carry the
/// site's enrolment token instead of an administrator's key; they are on the agent endpoint too,
/// where the script reaches them over TLS checked by the CA pin of its install line.
/// </summary>
public static class InstallEndpoints
{
    /// <summary>The rate-limit policy of the two token-authenticated calls, partitioned by caller address.</summary>
    public const string RateLimitPolicy = "install";

    /// <summary>Probes per caller address per window: enough for a few runs of the checks, too few for scanning.</summary>
    public const int ProbesPerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The install script, read once from the assembly (embedded from deploy/install/opentunnel-setup).</summary>
    private static readonly Lazy<string> Script = new(() =>
    {
        using Stream stream = typeof(InstallEndpoints).Assembly.GetManifestResourceStream("opentunnel-setup")
            ?? throw new InvalidOperationException("The install script is not embedded in the management service's assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void AddInstallRateLimits(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = ProbesPerWindow, Window = Window, QueueLimit = 0 }));
        });

    public static void MapInstallScript(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/install.sh", () => TypedResults.Text(Script.Value, "text/x-shellscript; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
    }

    public static void MapInstallApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("enrolment/readiness", ProbeAsync).WithTags("enrolment").WithName("ProbeReadiness")
            .AllowAnonymous().RequireRateLimiting(RateLimitPolicy).AlsoOnAgentEndpoint();
        api.MapPost("enrolment/status", StatusAsync).WithTags("enrolment").WithName("EnrolmentStatus")
            .AllowAnonymous().AlsoOnAgentEndpoint();
    }

    /// <summary>
    /// Probes TCP and UDP on the port of the token's site at the address the request came from,
    /// and nowhere else: the caller chooses neither, so this cannot scan other hosts or ports.
    /// </summary>
    private static async Task<Results<Ok<ReadinessProbeAnswer>, ValidationProblem, ProblemHttpResult>> ProbeAsync(
        ReadinessProbeRequest request, ManagementDbContext db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(request.Token))
        {
            errors.Add("token", "is required: the site's enrolment token.");
        }

        if (!InboundProbe.IsWellFormedNonce(request.Nonce))
        {
            errors.Add("nonce", "must be 16 to 64 letters and digits: what the responder on the gateway port answers with.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The readiness probe request is not valid.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        (EnrolmentToken? token, Site? site) = await AgentEnrolment.FindTokenAsync(db, request.Token!, ct);
        if (AgentEnrolment.RefusalOf(token, site, now) is { } refusal)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Readiness probe refused.", detail: $"Readiness probe refused: {refusal}. Ask an administrator for a new token.");
        }

        ServerConfiguration? configuration = await db.ServerConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == site!.ServerConfigurationId, ct);
        IPAddress? caller = http.Connection.RemoteIpAddress;
        if (configuration is null || caller is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to probe.", detail: configuration is null ? "The site has no server configuration." : "The caller's address is not known.");
        }

        if (caller.IsIPv4MappedToIPv6)
        {
            caller = caller.MapToIPv4();
        }

        var target = new IPEndPoint(caller, configuration.Port);
        ProbeOutcome tcp = await InboundProbe.TcpAsync(target, request.Nonce!, ProbeTimeout, ct);
        ProbeOutcome? udp = configuration.UdpDisabled ? null : await InboundProbe.UdpAsync(target, request.Nonce!, ProbeTimeout, ct);
        return TypedResults.Ok(new ReadinessProbeAnswer(caller.ToString(), configuration.Port, tcp, udp, clock.GetUtcNow().UtcDateTime));
    }

    /// <summary>The server the token enrolled, while the token has not expired: what the install script waits on.</summary>
    private static async Task<Results<Ok<EnrolmentStatusAnswer>, ProblemHttpResult>> StatusAsync(
        EnrolmentStatusRequest request, ManagementDbContext db, TimeProvider clock, CancellationToken ct)
    {
        (EnrolmentToken? token, _) = await AgentEnrolment.FindTokenAsync(db, request.Token ?? string.Empty, ct);
        if (token is null || token.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unknown token.", detail: "The token is not known or has expired.");
        }

        Server? server = token.RedeemedByServerId is { } id ? await db.Servers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) : null;
        return server is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not enrolled yet.", detail: "No server has enrolled with this token yet.")
            : TypedResults.Ok(new EnrolmentStatusAnswer(server.Id, server.Name, server.State, server.Health, server.HealthDetails));
    }
}
