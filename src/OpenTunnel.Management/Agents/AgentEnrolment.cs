using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// POST /api/v1/enrolment: a server joins a site. The one-time token must be known, unused and
/// not expired; the certificate request must carry a strong key and a valid signature. The
/// token is spent by a conditional update (only while it is unused and unexpired, the rows it
/// changed counted), so of requests racing with one token exactly one wins; in the same
/// transaction the server is recorded in the token's site and the internal CA's certificate for
/// the agent is recorded. The agent endpoint URL the answer names must be one the endpoint's
/// certificate names, since the agent checks that, so a misconfigured name is refused before
/// the token is spent.
/// </summary>
public static partial class AgentEnrolment
{
    /// <summary>The enrolment token whose secret is <paramref name="secret"/>, and its site.</summary>
    internal static async Task<(EnrolmentToken? Token, Site? Site)> FindTokenAsync(ManagementDbContext db, string secret, CancellationToken ct)
    {
        string hash = ApiKeySecret.Hash(secret);
        EnrolmentToken? token = await db.EnrolmentTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        Site? site = token is null ? null : await db.Sites.AsNoTracking().FirstOrDefaultAsync(s => s.Id == token.SiteId, ct);
        return (token, site);
    }

    /// <summary>Why <paramref name="token"/> cannot enrol a server now, or null when it can.</summary>
    internal static string? RefusalOf(EnrolmentToken? token, Site? site, DateTime now) => token switch
    {
        // Tokens go with their site, so a deleted site's token is no longer known.
        null => "the token is not known (it was revoked, its site was deleted, or it is mistyped)",
        { RedeemedAt: not null } => $"the token was already used, at {token.RedeemedAt:u}",
        _ when token.ExpiresAt <= now => $"the token expired at {token.ExpiresAt:u}",
        _ when site is null => "the token's site was deleted",
        _ => null,
    };

    internal static async Task<Results<Created<EnrolmentResponse>, ValidationProblem, ProblemHttpResult>> RedeemAsync(
        EnrolmentRequest request,
        ManagementDbContext db,
        TimeProvider clock,
        InternalCertificateAuthority authority,
        AgentEndpointBinding binding,
        AgentEndpointCertificate endpointCertificate,
        IOptions<AgentLinkOptions> options,
        ILoggerFactory loggers,
        HttpContext http,
        CancellationToken ct)
    {
        ILogger logger = loggers.CreateLogger(typeof(AgentEnrolment));
        var errors = new ValidationErrors();
        errors.RequireName("serverName", request.ServerName);
        if (string.IsNullOrEmpty(request.Token))
        {
            errors.Add("token", "is required: the enrolment token an administrator created for the site.");
        }

        if (string.IsNullOrWhiteSpace(request.CertificateRequest))
        {
            errors.Add("certificateRequest", "is required: a PEM PKCS#10 request for the agent's key (opentunnel-agent enrol makes it).");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The enrolment request is not valid.");
        }

        DateTimeOffset now = clock.GetUtcNow();
        (EnrolmentToken? token, Site? site) = await FindTokenAsync(db, request.Token!, ct);
        string? refusal = RefusalOf(token, site, now.UtcDateTime);
        if (refusal is not null)
        {
            LogEnrolmentRefused(logger, request.ServerName!, http.Connection.RemoteIpAddress?.ToString(), refusal);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Enrolment refused.", detail: $"Enrolment refused: {refusal}. Ask an administrator for a new token.");
        }

        if (await db.Servers.AnyAsync(s => s.SiteId == site!.Id && s.Name == request.ServerName, ct))
        {
            return ResourceEndpoints.Conflict("A server of this name exists in the site.", $"The site already has a server named '{request.ServerName}'; delete it or choose another name.");
        }

        string agentEndpoint = AgentEndpointUrl(options.Value, binding, http.Request);
        if (agentEndpoint.Length > 0 && options.Value.PublicUrl is null && !endpointCertificate.Names(http.Request.Host.Host))
        {
            LogEndpointNotNamed(logger, http.Request.Host.Host, request.ServerName!);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The agent endpoint cannot be named.",
                detail: $"The agent endpoint's certificate does not name '{http.Request.Host.Host}', the host this enrolment was sent to, so the agent could not check the endpoint there. "
                    + "The administrator sets Management:Agents:PublicUrl (or adds the name to Management:Agents:HostNames). The token was not used.");
        }

        var server = new Server
        {
            Id = Guid.NewGuid(),
            Name = request.ServerName!,
            SiteId = site!.Id,
            State = ServerState.Enrolling,
            SoftwareVersion = request.SoftwareVersion,
            CreatedAt = now.UtcDateTime,
            UpdatedAt = now.UtcDateTime,
        };
        X509Certificate2 certificate;
        try
        {
            certificate = authority.IssueClientCertificate(request.CertificateRequest!, server.Id, now, TimeSpan.FromDays(options.Value.CertificateLifetimeDays));
        }
        catch (CertificateRequestException e)
        {
            errors.Add("certificateRequest", e.Message);
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The enrolment request is not valid.");
        }

        using (certificate)
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);

            // The token is spent first, and only if it is still unused and unexpired: of requests
            // racing with the same token, the database lets exactly one change the row.
            Guid tokenId = token!.Id;
            DateTime redeemedAt = now.UtcDateTime;
            int spent = await db.EnrolmentTokens
                .Where(t => t.Id == tokenId && t.RedeemedAt == null && t.ExpiresAt > redeemedAt)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.RedeemedAt, redeemedAt).SetProperty(t => t.RedeemedByServerId, server.Id), ct);
            if (spent != 1)
            {
                await transaction.RollbackAsync(ct);
                EnrolmentToken? current = await db.EnrolmentTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tokenId, ct);
                string lost = current switch
                {
                    null => "the token is not known (it was revoked, its site was deleted, or it is mistyped)",
                    { RedeemedAt: { } at } => $"the token was already used, at {at:u}",
                    _ => $"the token expired at {current.ExpiresAt:u}",
                };
                LogEnrolmentRefused(logger, request.ServerName!, http.Connection.RemoteIpAddress?.ToString(), lost);
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Enrolment refused.", detail: $"Enrolment refused: {lost}. Ask an administrator for a new token.");
            }

            db.Servers.Add(server);
            db.AgentCertificates.Add(RecordOf(certificate, server.Id, now));

            // Made here, so the agent's reports and telemetry only ever update it and cannot race to insert it.
            db.AgentStatuses.Add(new AgentStatus { ServerId = server.Id });
            AuditTrail.Record(db, $"enrolment-token:{tokenId}", AuditAction.Created, server, server.Id, null, AuditTrail.Snapshot(server), now.UtcDateTime);
            if (await ResourceEndpoints.SaveAsync(db, "server", ct) is ProblemHttpResult problem)
            {
                await transaction.RollbackAsync(ct);
                return problem;
            }

            await transaction.CommitAsync(ct);
            LogEnrolled(logger, server.Name, site.Name, server.Id, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
            EntityTag.Set(http.Response, server);
            return TypedResults.Created(
                $"{ManagementApi.Prefix}/servers/{server.Id}",
                new EnrolmentResponse(server.Id, server.Name, site.Id, site.Name, certificate.ExportCertificatePem(), authority.CertificatePem, authority.Pin, agentEndpoint));
        }
    }

    /// <summary>The row that lets <paramref name="certificate"/> sign in for <paramref name="serverId"/>.</summary>
    internal static AgentCertificate RecordOf(X509Certificate2 certificate, Guid serverId, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid(),
        ServerId = serverId,
        Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256),
        SerialNumber = certificate.SerialNumber,
        NotBefore = certificate.NotBefore.ToUniversalTime(),
        NotAfter = certificate.NotAfter.ToUniversalTime(),
        IssuedAt = now.UtcDateTime,
    };

    /// <summary>The configured public URL, else https:// the host this request was sent to, at the agent endpoint's port.</summary>
    internal static string AgentEndpointUrl(AgentLinkOptions options, AgentEndpointBinding binding, HttpRequest request)
    {
        if (options.PublicUrl is { } configured)
        {
            return configured.TrimEnd('/');
        }

        int? port = binding.EndPoint?.Port ?? options.ListenEndPoint?.Port;
        if (port is null)
        {
            return string.Empty;
        }

        string host = request.Host.Host;
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return $"https://{host}:{port}";
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Server {ServerName} enrolled into site {SiteName} as {ServerId}; agent certificate serial {Serial}, valid until {NotAfter:u}.")]
    private static partial void LogEnrolled(ILogger logger, string serverName, string siteName, Guid serverId, string serial, DateTime notAfter);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Refused enrolment of {ServerName}: the agent endpoint's certificate does not name {Host}, the host the request was sent to; set Management:Agents:PublicUrl or add the name to Management:Agents:HostNames.")]
    private static partial void LogEndpointNotNamed(ILogger logger, string host, string serverName);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Refused enrolment of {ServerName} from {Client}: {Reason}.")]
    private static partial void LogEnrolmentRefused(ILogger logger, string serverName, string? client, string reason);
}
