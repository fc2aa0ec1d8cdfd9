using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api;

/// <summary>Body of POST /api/v1/sites/{id}/enrolment-tokens.</summary>
public sealed record EnrolmentTokenRequest(int? ValidForHours = null);

/// <summary>The token, shown only in the answer to its creation.</summary>
public sealed record CreatedEnrolmentToken(EnrolmentToken EnrolmentToken, string Token);

/// <summary>Body of POST /api/v1/enrolment: a server joins a site with a one-time token.</summary>
public sealed record EnrolmentRequest(string? Token, string? ServerName, string? SoftwareVersion = null);

/// <summary>
/// One-time enrolment tokens per site, and their redemption. Redemption is the one API call
/// without an administrator: the token is the credential. The agent (issue #7) extends the
/// redemption with the server's client certificate for mutual TLS.
/// </summary>
public static partial class EnrolmentEndpoints
{
    public const int DefaultValidForHours = 24;
    public const int MaximumValidForHours = 24 * 30;

    public static void MapEnrolment(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        RouteGroupBuilder tokens = api.MapGroup("sites/{siteId:guid}/enrolment-tokens").WithTags("enrolment");
        tokens.MapPost("", CreateTokenAsync).WithName("CreateEnrolmentToken").RequireAuthorization(AuthorizationSetup.WritePolicy);
        tokens.MapGet("", ListTokensAsync).WithName("ListEnrolmentTokens");
        api.MapDelete("enrolment-tokens/{id:guid}", RevokeTokenAsync).WithTags("enrolment").WithName("RevokeEnrolmentToken")
            .RequireAuthorization(AuthorizationSetup.WritePolicy);
        api.MapPost("enrolment", RedeemAsync).WithTags("enrolment").WithName("Enrol").AllowAnonymous();
    }

    private static async Task<Results<Created<CreatedEnrolmentToken>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(
        Guid siteId, EnrolmentTokenRequest? request, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Sites.AnyAsync(s => s.Id == siteId, ct))
        {
            return ResourceEndpoints.NotFound("site", siteId);
        }

        int hours = request?.ValidForHours ?? DefaultValidForHours;
        var errors = new ValidationErrors();
        errors.RequireRange("validForHours", hours, 1, MaximumValidForHours);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The enrolment token request is not valid.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        string secret = ApiKeySecret.NewEnrolmentToken();
        var token = new EnrolmentToken { Id = Guid.NewGuid(), SiteId = siteId, TokenHash = ApiKeySecret.Hash(secret), CreatedAt = now, ExpiresAt = now.AddHours(hours) };
        db.EnrolmentTokens.Add(token);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Created, token, token.Id, null, AuditTrail.Snapshot(token), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/sites/{siteId}/enrolment-tokens", new CreatedEnrolmentToken(token, secret));
    }

    private static async Task<Results<Ok<List<EnrolmentToken>>, ProblemHttpResult>> ListTokensAsync(Guid siteId, ManagementDbContext db, CancellationToken ct)
    {
        if (!await db.Sites.AnyAsync(s => s.Id == siteId, ct))
        {
            return ResourceEndpoints.NotFound("site", siteId);
        }

        return TypedResults.Ok(await db.EnrolmentTokens.AsNoTracking().Where(t => t.SiteId == siteId).OrderBy(t => t.CreatedAt).ToListAsync(ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(Guid id, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        EnrolmentToken? token = await db.EnrolmentTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null)
        {
            return ResourceEndpoints.NotFound("enrolment token", id);
        }

        db.EnrolmentTokens.Remove(token);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Deleted, token, token.Id, AuditTrail.Snapshot(token), null, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<Server>, ValidationProblem, ProblemHttpResult>> RedeemAsync(
        EnrolmentRequest request, ManagementDbContext db, TimeProvider clock, ILoggerFactory loggers, HttpContext http, CancellationToken ct)
    {
        ILogger logger = loggers.CreateLogger(typeof(EnrolmentEndpoints));
        var errors = new ValidationErrors();
        errors.RequireName("serverName", request.ServerName);
        if (string.IsNullOrEmpty(request.Token))
        {
            errors.Add("token", "is required: the enrolment token an administrator created for the site.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The enrolment request is not valid.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        string hash = ApiKeySecret.Hash(request.Token!);
        EnrolmentToken? token = await db.EnrolmentTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        string? refusal = token switch
        {
            null => "the token is not known",
            { RedeemedAt: not null } => "the token was already used",
            _ when token.ExpiresAt <= now => $"the token expired at {token.ExpiresAt:u}",
            _ => null,
        };
        if (refusal is not null)
        {
            LogEnrolmentRefused(logger, request.ServerName!, http.Connection.RemoteIpAddress?.ToString(), refusal);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Enrolment refused.", detail: $"Enrolment refused: {refusal}. Ask an administrator for a new token.");
        }

        var server = new Server
        {
            Id = Guid.NewGuid(),
            Name = request.ServerName!,
            SiteId = token!.SiteId,
            State = ServerState.Enrolling,
            SoftwareVersion = request.SoftwareVersion,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (await db.Servers.AnyAsync(s => s.SiteId == server.SiteId && s.Name == server.Name, ct))
        {
            return ResourceEndpoints.Conflict("A server of this name exists in the site.", $"The site already has a server named '{server.Name}'; delete it or choose another name.");
        }

        token.RedeemedAt = now;
        token.RedeemedByServerId = server.Id;
        db.Servers.Add(server);
        string actor = $"enrolment-token:{token.Id}";
        AuditTrail.Record(db, actor, AuditAction.Created, server, server.Id, null, AuditTrail.Snapshot(server), now);
        if (await ResourceEndpoints.SaveAsync(db, "server", ct) is ProblemHttpResult problem)
        {
            return problem;
        }

        LogEnrolled(logger, server.Name, server.SiteId, server.Id);
        EntityTag.Set(http.Response, server);
        return TypedResults.Created($"/api/v1/servers/{server.Id}", server);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Server {ServerName} enrolled into site {SiteId} as {ServerId}.")]
    private static partial void LogEnrolled(ILogger logger, string serverName, Guid siteId, Guid serverId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Refused enrolment of {ServerName} from {Client}: {Reason}.")]
    private static partial void LogEnrolmentRefused(ILogger logger, string serverName, string? client, string reason);
}
