using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;
using OpenTunnel.Trust;

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
    }

    /// <summary>
    /// The one line an administrator runs on a new gateway server as root. It fetches the
    /// deployment's CA from /ca.pem, goes on only if the CA's key has the pin of the line, and
    /// then fetches the install script (/install.sh) over HTTPS with that CA as the only trust anchor.
    /// When any of that fails it hands the shell it pipes into <c>exit 1</c> (and says why on
    /// standard error), so the line as a whole fails, not only prints, and automation sees it.
    /// </summary>
    public static string InstallLine(string managementBaseUrl, string agentEndpointUrl, string siteName, string caPin)
    {
        string hash = caPin[CertificatePins.Prefix.Length..];
        string fetch = "set -e; trap \"[ \\$? = 0 ] || echo exit 1\" EXIT; c=$(mktemp); "
            + $"curl -fsSk {managementBaseUrl}/ca.pem -o $c; "
            + $"test \"$(openssl x509 -in $c -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)\" = {hash} || {{ echo \"the CA of {managementBaseUrl} does not have the pin {caPin}\" >&2; exit 1; }}; "
            + $"curl -fsS --cacert $c {managementBaseUrl}/install.sh";
        return $"sh -c '{fetch}' | sudo sh -s -- --management {agentEndpointUrl} --site '{siteName.Replace("'", string.Empty, StringComparison.Ordinal)}' --token-file FILE --ca-pin {caPin}";
    }

    /// <summary>
    /// True when <paramref name="url"/> (scheme, host name or address, port, path) holds nothing a
    /// shell reads: the install line carries URLs made from the request's Host header.
    /// </summary>
    private static bool IsShellSafe(string url) => url.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '/' or '[' or ']');

    /// <summary>Issues a token for the site (also the console's "issue enrolment token"): the token, its CA pin and install line, or why not.</summary>
    internal static async Task<Results<Created<CreatedEnrolmentToken>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(
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

        string managementUrl = $"{http.Request.Scheme}://{http.Request.Host}";
        string agentEndpointUrl = AgentEnrolment.AgentEndpointUrl(agentLink.Value, binding, http.Request);
        if (!IsShellSafe(managementUrl) || !IsShellSafe(agentEndpointUrl))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                detail: $"The install line cannot name '{managementUrl}' or '{agentEndpointUrl}': only letters, digits and . - : / [ ] may appear in its URLs (check the Host header and Management:Agents:PublicUrl).");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        string secret = ApiKeySecret.NewEnrolmentToken();
        var token = new EnrolmentToken { Id = Guid.NewGuid(), SiteId = siteId, TokenHash = ApiKeySecret.Hash(secret), CreatedAt = now, ExpiresAt = now.AddHours(hours) };
        db.EnrolmentTokens.Add(token);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Created, token, token.Id, null, AuditTrail.Snapshot(token), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/sites/{siteId}/enrolment-tokens", new CreatedEnrolmentToken(token, secret, authority.Pin,
            InstallLine(managementUrl, agentEndpointUrl, site.Name, authority.Pin)));
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
