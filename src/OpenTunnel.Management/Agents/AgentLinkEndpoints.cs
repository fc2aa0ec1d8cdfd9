using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.AccessLog;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// The routes agents call over mutual TLS (<see cref="AgentRoutes"/>): certificate renewal, the
/// long poll for configuration, drain and commands, configuration reports, telemetry, access
/// records and command results. Each acts only on the signed-in agent's own server.
/// </summary>
public static partial class AgentLinkEndpoints
{
    /// <summary>Command output (collected logs) is cut to this many characters.</summary>
    public const int MaximumCommandOutput = 1_000_000;

    public static RouteGroupBuilder MapAgentLink(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Not in the administrators' OpenAPI document: this is the agents' protocol (OpenTunnel.Agent.Protocol).
        // Served only on the agent endpoint's port (AgentEndpointScope): 404 everywhere else.
        RouteGroupBuilder agent = app.MapGroup(AgentRoutes.Prefix).RequireAuthorization(AgentLinkSetup.AgentPolicy).ExcludeFromDescription().OnlyOnAgentEndpoint();
        agent.MapPost("certificate", RenewCertificateAsync).WithName("AgentRenewCertificate");
        agent.MapGet("poll", PollAsync).WithName("AgentPoll");
        agent.MapPost("configuration-report", ReportConfigurationAsync).WithName("AgentConfigurationReport");
        agent.MapPost("telemetry", SendTelemetryAsync).WithName("AgentTelemetry");
        agent.MapPost("access-log", SendAccessRecordsAsync).WithName("AgentAccessLog");
        agent.MapPost("sessions", SendSessionsAsync).WithName("AgentSessions");
        agent.MapPost("commands/{id:guid}/result", CompleteCommandAsync).WithName("AgentCommandResult");
        app.MapGet(AgentRoutes.Authority, (InternalCertificateAuthority authority) => TypedResults.Text(authority.CertificatePem, "application/x-pem-file"))
            .AllowAnonymous().ExcludeFromDescription().OnlyOnAgentEndpoint();
        return agent;
    }

    private static async Task<Results<Ok<CertificateRenewalResponse>, ValidationProblem>> RenewCertificateAsync(
        CertificateRenewalRequest request, ClaimsPrincipal user, ManagementDbContext db, InternalCertificateAuthority authority,
        IOptions<AgentLinkOptions> options, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        Guid serverId = AgentCertificateAuthenticationHandler.ServerIdOf(user);
        DateTimeOffset now = clock.GetUtcNow();
        X509Certificate2 certificate;
        try
        {
            certificate = authority.IssueClientCertificate(request.CertificateRequest ?? string.Empty, serverId, now, TimeSpan.FromDays(options.Value.CertificateLifetimeDays));
        }
        catch (CertificateRequestException e)
        {
            var errors = new ValidationErrors();
            errors.Add("certificateRequest", e.Message);
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The renewal request is not valid.");
        }

        using (certificate)
        {
            db.AgentCertificates.Add(AgentEnrolment.RecordOf(certificate, serverId, now));
            await db.SaveChangesAsync(ct);
            LogRenewed(loggers.CreateLogger(typeof(AgentLinkEndpoints)), serverId, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
            return TypedResults.Ok(new CertificateRenewalResponse(certificate.ExportCertificatePem(), authority.CertificatePem, certificate.NotAfter.ToUniversalTime()));
        }
    }

    /// <summary>
    /// Answers at once when the site's configuration differs from <paramref name="etag"/>, the
    /// drain state from <paramref name="draining"/>, or commands wait; otherwise holds the request
    /// until one of these changes or <paramref name="wait"/> seconds pass (then 204).
    /// </summary>
    private static async Task<Results<Ok<AgentPoll>, NoContent, ProblemHttpResult>> PollAsync(
        string? etag, bool? draining, int? wait, ClaimsPrincipal user, ManagementDbContext db, ChangeFeed feed,
        IOptions<AgentLinkOptions> options, GatewayIssuerTrust issuerTrust, SitePeers sitePeers, TimeProvider clock, CancellationToken ct)
    {
        Guid serverId = AgentCertificateAuthenticationHandler.ServerIdOf(user);
        AgentLinkOptions settings = options.Value;
        TimeSpan longest = TimeSpan.FromSeconds(Math.Clamp(wait ?? settings.LongPollSeconds, 0, settings.LongPollSeconds));
        DateTimeOffset deadline = clock.GetUtcNow() + longest;
        while (true)
        {
            long seen = feed.Version;
            var state = await db.Servers.AsNoTracking()
                .Where(s => s.Id == serverId)
                .Join(db.Sites, s => s.SiteId, site => site.Id, (s, site) => new { s.State, Site = site })
                .Join(db.ServerConfigurations, x => x.Site.ServerConfigurationId, c => c.Id, (x, c) => new { x.State, x.Site, Configuration = c })
                .FirstOrDefaultAsync(ct);
            if (state is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The server was deleted.", detail: "This server no longer exists; enrol it again.");
            }

            IReadOnlyList<PeerConfiguration>? peers = state.Configuration.LoadBalancing is null
                ? null
                : (await sitePeers.GetAsync(state.Site.Id, db, ct)).For(serverId);
            EffectiveConfiguration configuration = EffectiveConfigurations.Build(state.Site, state.Configuration, settings.GatewayAuth, issuerTrust, peers);
            bool drain = state.State == ServerState.Draining;
            List<AgentCommand> commands = await db.AgentCommands
                .Where(c => c.ServerId == serverId && c.State == AgentCommandState.Pending)
                .OrderBy(c => c.CreatedAt)
                .ToListAsync(ct);
            if (configuration.ETag != etag || drain != (draining ?? false) || commands.Count > 0)
            {
                var messages = new List<AgentCommandMessage>(commands.Count);
                DateTime now = clock.GetUtcNow().UtcDateTime;
                foreach (AgentCommand command in commands)
                {
                    command.State = AgentCommandState.Delivered;
                    command.DeliveredAt = now;
                    messages.Add(new AgentCommandMessage(command.Id, command.Kind, command.Target, new DateTimeOffset(command.CreatedAt, TimeSpan.Zero)));
                }

                await db.SaveChangesAsync(ct);
                return TypedResults.Ok(new AgentPoll(configuration.ETag != etag ? configuration : null, drain, messages));
            }

            TimeSpan remaining = deadline - clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return TypedResults.NoContent();
            }

            await feed.WaitAsync(seen, remaining, ct);
            db.ChangeTracker.Clear();
        }
    }

    private static async Task<Results<NoContent, ValidationProblem>> ReportConfigurationAsync(
        ConfigurationReport report, ClaimsPrincipal user, ManagementDbContext db, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        Guid serverId = AgentCertificateAuthenticationHandler.ServerIdOf(user);
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(report.ETag))
        {
            errors.Add("etag", "is required: the ETag of the configuration the report is about.");
        }

        if (!report.Applied && string.IsNullOrWhiteSpace(report.Error))
        {
            errors.Add("error", "is required when the configuration was not applied: why the gateway refused it.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The configuration report is not valid.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        AgentStatus? status = await db.AgentStatuses.FirstOrDefaultAsync(s => s.ServerId == serverId, ct);
        if (status is null)
        {
            status = new AgentStatus { ServerId = serverId };
            db.AgentStatuses.Add(status);
        }

        if (report.Applied)
        {
            status.AppliedConfigurationETag = report.ETag;
            status.AppliedAt = now;
            status.AppliedNote = report.Note;
            LogApplied(loggers.CreateLogger(typeof(AgentLinkEndpoints)), serverId, report.ETag!, report.Note ?? string.Empty);
        }
        else
        {
            status.RefusedConfigurationETag = report.ETag;
            status.RefusedAt = now;
            status.RefusalReason = report.Error;
            LogRefused(loggers.CreateLogger(typeof(AgentLinkEndpoints)), serverId, report.ETag!, report.Error!);
        }

        await db.SaveChangesAsync(ct);
        if (report.Applied)
        {
            long version = report.ServerConfigurationVersion;
            await db.Servers.Where(s => s.Id == serverId).ExecuteUpdateAsync(u => u.SetProperty(s => s.AppliedConfigurationVersion, version), ct);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AccessRecordAcknowledgement>, ValidationProblem, ProblemHttpResult>> SendAccessRecordsAsync(
        AccessRecordBatch batch, ClaimsPrincipal user, AccessLogIngest ingest, CancellationToken ct)
    {
        AccessLogIngestResult result = await ingest.IngestAsync(AgentCertificateAuthenticationHandler.ServerIdOf(user), batch, ct);
        return IngestAnswer(result.Acknowledgement, result.Errors, result.Conflict, "access-log batch", "Another write of the same access records happened at the same moment.");
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SendSessionsAsync(
        SessionSnapshot snapshot, ClaimsPrincipal user, SessionSnapshotIngest ingest, CancellationToken ct)
    {
        (SessionSnapshotOutcome outcome, ValidationErrors errors) = await ingest.IngestAsync(AgentCertificateAuthenticationHandler.ServerIdOf(user), snapshot, ct);
        return outcome switch
        {
            SessionSnapshotOutcome.Invalid => TypedResults.ValidationProblem(errors.ToDictionary(), title: "The session snapshot is not valid."),
            SessionSnapshotOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Send the snapshot again.", detail: "Another snapshot of this server was stored at the same moment."),
            _ => TypedResults.NoContent(),
        };
    }

    private static async Task<Results<Ok<TelemetryAcknowledgement>, ValidationProblem, ProblemHttpResult>> SendTelemetryAsync(
        TelemetryBatch batch, ClaimsPrincipal user, TelemetryIngest ingest, CancellationToken ct)
    {
        TelemetryIngestResult result = await ingest.IngestAsync(AgentCertificateAuthenticationHandler.ServerIdOf(user), batch, ct);
        return IngestAnswer(result.Acknowledgement, result.Errors, result.Conflict, "telemetry batch", "Another write to this server's telemetry happened at the same moment.");
    }

    /// <summary>A stored batch's acknowledgement; a 503 (send it again) after a concurrent write; else a 400 naming each bad field.</summary>
    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> IngestAnswer<T>(T? acknowledgement, ValidationErrors errors, bool conflict, string batch, string conflictDetail)
        where T : class
    {
        if (acknowledgement is not null)
        {
            return TypedResults.Ok(acknowledgement);
        }

        return conflict
            ? TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Send the batch again.", detail: conflictDetail)
            : TypedResults.ValidationProblem(errors.ToDictionary(), title: $"The {batch} is not valid.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> CompleteCommandAsync(
        Guid id, CommandResult result, ClaimsPrincipal user, ManagementDbContext db, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        Guid serverId = AgentCertificateAuthenticationHandler.ServerIdOf(user);
        AgentCommand? command = await db.AgentCommands.FirstOrDefaultAsync(c => c.Id == id && c.ServerId == serverId, ct);
        if (command is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such command.", detail: $"This server has no command {id}.");
        }

        command.State = result.Succeeded ? AgentCommandState.Succeeded : AgentCommandState.Failed;
        command.CompletedAt = clock.GetUtcNow().UtcDateTime;
        command.Output = result.Output is { Length: > MaximumCommandOutput } output ? output[^MaximumCommandOutput..] : result.Output;
        await db.SaveChangesAsync(ct);
        LogCommandCompleted(loggers.CreateLogger(typeof(AgentLinkEndpoints)), command.Kind, serverId, command.Id, command.State);
        return TypedResults.NoContent();
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Renewed the agent certificate of server {ServerId}: serial {Serial}, valid until {NotAfter:u}.")]
    private static partial void LogRenewed(ILogger logger, Guid serverId, string serial, DateTime notAfter);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "Server {ServerId} applied configuration {ETag}. {Note}")]
    private static partial void LogApplied(ILogger logger, Guid serverId, string eTag, string note);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "Server {ServerId} refused configuration {ETag}: {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid serverId, string eTag, string reason);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Information, Message = "Command {Kind} on server {ServerId} ({CommandId}) ended: {State}.")]
    private static partial void LogCommandCompleted(ILogger logger, AgentCommandKind kind, Guid serverId, Guid commandId, AgentCommandState state);
}
