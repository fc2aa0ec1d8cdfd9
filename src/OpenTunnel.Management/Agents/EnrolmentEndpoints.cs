using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Install;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>Body of POST /api/v1/sites/{id}/enrolment-tokens.</summary>
public sealed record EnrolmentTokenRequest(int? ValidForHours = null);

/// <summary>
/// The token, shown only in the answer to its creation, with the pin of the internal CA that
/// the agent checks the management service by while it enrols (opentunnel-agent enrol --ca-pin),
/// and the install line: what an administrator runs as root on a new gateway server, with the
/// token saved in FILE (docs/install.md).
/// </summary>
public sealed record CreatedEnrolmentToken(EnrolmentToken EnrolmentToken, string Token, string CaPin, string InstallLine);

/// <summary>
/// One-time enrolment tokens per site, and their redemption. Redemption is the one API call
/// without an administrator: the token is the credential (<see cref="AgentEnrolment"/>).
/// </summary>
public static class EnrolmentEndpoints
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
        api.MapPost("enrolment", AgentEnrolment.RedeemAsync).WithTags("enrolment").WithName("Enrol").AllowAnonymous().AlsoOnAgentEndpoint();
        api.MapInstallApi();
    }

    private static async Task<Results<Created<CreatedEnrolmentToken>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(
        Guid siteId, EnrolmentTokenRequest? request, ManagementDbContext db, HttpContext http, TimeProvider clock, InternalCertificateAuthority authority,
        AgentEndpointBinding binding, IOptions<AgentLinkOptions> agentLink, CancellationToken ct)
    {
        Site? site = await db.Sites.AsNoTracking().FirstOrDefaultAsync(s => s.Id == siteId, ct);
        if (site is null)
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
        return TypedResults.Created($"/api/v1/sites/{siteId}/enrolment-tokens", new CreatedEnrolmentToken(token, secret, authority.Pin,
            InstallEndpoints.InstallLine($"{http.Request.Scheme}://{http.Request.Host}", AgentEnrolment.AgentEndpointUrl(agentLink.Value, binding, http.Request), site.Name, authority.Pin)));
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
}
