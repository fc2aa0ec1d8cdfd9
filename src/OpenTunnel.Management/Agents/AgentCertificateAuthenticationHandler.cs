using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// Signs in an agent by the client certificate of its TLS connection: the certificate must be
/// issued by the internal CA for client authentication and valid now, and it must still be on
/// record for its server, not revoked. A deleted server takes its certificates with it, so its
/// agent is refused from the next request on.
/// </summary>
public sealed partial class AgentCertificateAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ManagementDbContext db,
    InternalCertificateAuthority authority,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AgentCertificate";
    public const string ServerIdClaim = "opentunnel_server";
    public const string SiteIdClaim = "opentunnel_site";

    /// <summary>The signed-in agent's server id.</summary>
    public static Guid ServerIdOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Guid.Parse(user.FindFirst(ServerIdClaim)!.Value);
    }

    public static Guid SiteIdOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Guid.Parse(user.FindFirst(SiteIdClaim)!.Value);
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        AuthenticateResult result = await AuthenticateCertificateAsync();
        if (result.Failure is { } failure)
        {
            LogRefused(Logger, Request.Method, Request.Path, Context.Connection.RemoteIpAddress?.ToString(), failure.Message);
        }

        return result;
    }

    private async Task<AuthenticateResult> AuthenticateCertificateAsync()
    {
        X509Certificate2? certificate = await Context.Connection.GetClientCertificateAsync(Context.RequestAborted);
        if (certificate is null)
        {
            return AuthenticateResult.Fail("no client certificate: agent requests need the certificate issued at enrolment, over the agent endpoint");
        }

        if (!authority.Verify(certificate, InternalCertificateAuthority.ClientAuthentication, clock.GetUtcNow(), out string? problem))
        {
            return AuthenticateResult.Fail($"the client certificate '{certificate.Subject}' is not valid: {problem}");
        }

        string thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var record = await db.AgentCertificates.AsNoTracking()
            .Where(c => c.Thumbprint == thumbprint)
            .Join(db.Servers, c => c.ServerId, s => s.Id, (c, s) => new { c.ServerId, s.SiteId, s.Name, c.RevokedAt, c.RevocationReason })
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (record is null)
        {
            return AuthenticateResult.Fail($"the certificate '{certificate.Subject}' (serial {certificate.SerialNumber}) belongs to no server: the server was deleted, or enrolled again with a new certificate");
        }

        if (record.RevokedAt is { } revoked)
        {
            return AuthenticateResult.Fail($"the certificate of server {record.Name} (serial {certificate.SerialNumber}) was revoked at {revoked:u}: {record.RevocationReason ?? "no reason given"}");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, $"agent:{record.Name}"),
                new Claim(ServerIdClaim, record.ServerId.ToString()),
                new Claim(SiteIdClaim, record.SiteId.ToString()),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>A 401 with a problem body that says why, so the agent can log what to fix.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        AuthenticateResult result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Response.WriteAsJsonAsync(
            new { title = "The agent is not signed in.", status = 401, detail = $"Refused: {result.Failure?.Message ?? "no client certificate"}." },
            Context.RequestAborted);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Refused agent request {Method} {Path} from {Client}: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string method, string path, string? client, string reason);
}
