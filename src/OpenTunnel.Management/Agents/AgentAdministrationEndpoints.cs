using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Health;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>The internal CA as administrators see it: its certificate and the pin agents enrol with.</summary>
public sealed record AgentCaView(string Subject, DateTime NotAfter, string Pin, string Certificate);

/// <summary>What the agent reported about configuration, beside the version the site should run.</summary>
public sealed record ConfigurationStatusView(
    string ExpectedETag,
    string? AppliedETag,
    DateTime? AppliedAt,
    string? AppliedNote,
    string? RefusedETag,
    DateTime? RefusedAt,
    string? RefusalReason);

/// <summary>A server's health now: state, every check with its reason, the newest sample and the configuration status.</summary>
public sealed record ServerHealthView(
    Guid ServerId,
    string Name,
    Guid SiteId,
    ServerState State,
    ServerHealth Health,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<HealthCheck> Checks,
    DateTime? LastCheckIn,
    TelemetrySample? Latest,
    ConfigurationStatusView Configuration);

/// <summary>A site's health: its state and reason, and each server's.</summary>
public sealed record SiteHealthView(Guid SiteId, string Name, ServerHealth Health, string Reason, IReadOnlyList<SiteServerHealth> Servers);

/// <summary>Body of PUT /api/v1/health-thresholds; a missing value takes its default.</summary>
public sealed record HealthThresholdsInput(
    int CheckInMinutes = 5,
    double CpuHealthyMaximumPercent = 95,
    double CpuUnhealthyPercent = 100,
    double MemoryHealthyMaximumPercent = 95,
    double MemoryUnhealthyPercent = 100,
    int CertificateWarningDays = 30,
    double LatencyWarningMilliseconds = 10,
    double LatencyUnhealthyMilliseconds = 20,
    int? MaximumSessions = null);

/// <summary>Body of POST .../commands.</summary>
public sealed record AgentCommandInput(AgentCommandKind? Kind, string? Target = null);

/// <summary>Body of POST /api/v1/servers/{id}/certificates/revoke.</summary>
public sealed record RevokeCertificatesInput(string? Reason = null);

/// <summary>How many certificates a revocation ended.</summary>
public sealed record RevokedCertificates(int Revoked);

/// <summary>
/// The administrator's side of the agent link, under /api/v1: the agent CA, server and site
/// health, telemetry history, health thresholds, agent certificates and commands.
/// </summary>
public static class AgentAdministrationEndpoints
{
    public const int MaximumTargetLength = 256;
    public const int DefaultTelemetryLimit = 1000;
    public const int MaximumTelemetryLimit = 10_000;

    public static RouteGroupBuilder MapAgentAdministration(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapEnrolment();
        api.MapGet("agent-ca", (InternalCertificateAuthority authority) => TypedResults.Ok(
                new AgentCaView(authority.Certificate.Subject, authority.Certificate.NotAfter.ToUniversalTime(), authority.Pin, authority.CertificatePem)))
            .WithTags("agents").WithName("GetAgentCa");
        api.MapGet("servers/{id:guid}/health", GetServerHealthAsync).WithTags("health").WithName("GetServerHealth");
        api.MapGet("servers/{id:guid}/telemetry", GetTelemetryAsync).WithTags("health").WithName("GetServerTelemetry");
        api.MapGet("sites/{id:guid}/health", GetSiteHealthAsync).WithTags("health").WithName("GetSiteHealth");
        api.MapGet("health-thresholds", GetThresholdsAsync).WithTags("health").WithName("GetHealthThresholds");
        api.MapPut("health-thresholds", PutThresholdsAsync).WithTags("health").WithName("UpdateHealthThresholds").RequireAuthorization(AuthorizationSetup.WritePolicy);
        api.MapGet("servers/{id:guid}/certificates", ListCertificatesAsync).WithTags("agents").WithName("ListAgentCertificates");
        api.MapPost("servers/{id:guid}/certificates/revoke", RevokeCertificatesAsync).WithTags("agents").WithName("RevokeAgentCertificates").RequireAuthorization(AuthorizationSetup.WritePolicy);
        api.MapPost("servers/{id:guid}/commands", CreateServerCommandAsync).WithTags("agents").WithName("CreateServerCommand").RequireAuthorization(AuthorizationSetup.WritePolicy);
        api.MapPost("sites/{id:guid}/commands", CreateSiteCommandsAsync).WithTags("agents").WithName("CreateSiteCommands").RequireAuthorization(AuthorizationSetup.WritePolicy);
        api.MapGet("servers/{id:guid}/commands", ListCommandsAsync).WithTags("agents").WithName("ListServerCommands");
        api.MapGet("servers/{id:guid}/commands/{commandId:guid}", GetCommandAsync).WithTags("agents").WithName("GetServerCommand");
        return api;
    }

    private static async Task<Results<Ok<ServerHealthView>, ProblemHttpResult>> GetServerHealthAsync(
        Guid id, ManagementDbContext db, ServerHealthReader reader, IOptions<AgentLinkOptions> options, GatewayIssuerTrust issuerTrust, SitePeers sitePeers, CancellationToken ct)
    {
        Server? server = await db.Servers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (server is null)
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        HealthThresholds thresholds = await reader.ThresholdsAsync(ct);
        ServerHealthReport report = await reader.EvaluateAsync(server, thresholds, ct);
        TelemetrySample? latest = await reader.LatestSampleAsync(id, ct);
        AgentStatus? status = await reader.StatusAsync(id, ct);
        Site site = await db.Sites.AsNoTracking().FirstAsync(s => s.Id == server.SiteId, ct);
        ServerConfiguration configuration = await db.ServerConfigurations.AsNoTracking().FirstAsync(c => c.Id == site.ServerConfigurationId, ct);
        IReadOnlyList<PeerConfiguration>? peers = configuration.LoadBalancing is null ? null : (await sitePeers.GetAsync(site.Id, db, ct)).For(server.Id);
        string expected = EffectiveConfigurations.Build(site, configuration, options.Value.GatewayAuth, issuerTrust, peers).ETag;
        return TypedResults.Ok(new ServerHealthView(
            server.Id,
            server.Name,
            server.SiteId,
            server.State,
            report.State,
            report.Reasons,
            report.Checks,
            server.LastCheckIn,
            latest,
            new ConfigurationStatusView(
                expected,
                status?.AppliedConfigurationETag,
                status?.AppliedAt,
                status?.AppliedNote,
                status?.RefusedConfigurationETag,
                status?.RefusedAt,
                status?.RefusalReason)));
    }

    /// <summary>Samples oldest first, by sequence; <paramref name="from"/> and <paramref name="to"/> bound the sample times (default: the last 24 hours).</summary>
    private static async Task<Results<Ok<List<TelemetrySample>>, ValidationProblem, ProblemHttpResult>> GetTelemetryAsync(
        Guid id, DateTime? from, DateTime? to, int? limit, ManagementDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Servers.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        var errors = new ValidationErrors();
        int take = limit ?? DefaultTelemetryLimit;
        errors.RequireRange("limit", take, 1, MaximumTelemetryLimit);
        DateTime end = (to ?? clock.GetUtcNow().UtcDateTime).ToUniversalTime();
        DateTime start = (from ?? end.AddDays(-1)).ToUniversalTime();
        if (start > end)
        {
            errors.Add("from", $"is {start:u}, after to ({end:u}).");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The telemetry query is not valid.");
        }

        List<TelemetrySample> samples = await db.ServerTelemetry.AsNoTracking()
            .Where(t => t.ServerId == id && t.Sample.At >= start && t.Sample.At <= end)
            .OrderBy(t => t.Sequence)
            .Take(take)
            .Select(t => t.Sample)
            .ToListAsync(ct);
        return TypedResults.Ok(samples);
    }

    private static async Task<Results<Ok<SiteHealthView>, ProblemHttpResult>> GetSiteHealthAsync(Guid id, ManagementDbContext db, ServerHealthReader reader, CancellationToken ct)
    {
        Site? site = await db.Sites.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (site is null)
        {
            return ResourceEndpoints.NotFound("site", id);
        }

        SiteHealthReport siteReport = await reader.EvaluateSiteAsync(id, await reader.ThresholdsAsync(ct), ct);
        return TypedResults.Ok(new SiteHealthView(site.Id, site.Name, siteReport.State, siteReport.Reason, siteReport.Servers));
    }

    private static async Task<Ok<HealthThresholds>> GetThresholdsAsync(ServerHealthReader reader, HttpResponse response, CancellationToken ct)
    {
        HealthThresholds thresholds = await reader.ThresholdsAsync(ct);
        EntityTag.Set(response, thresholds);
        return TypedResults.Ok(thresholds);
    }

    private static async Task<Results<Ok<HealthThresholds>, ValidationProblem, ProblemHttpResult>> PutThresholdsAsync(
        HealthThresholdsInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        HealthThresholds? stored = await db.HealthThresholds.FirstOrDefaultAsync(t => t.Id == HealthThresholds.SingletonId, ct);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        HealthThresholds current = stored ?? new HealthThresholds { Id = HealthThresholds.SingletonId, CreatedAt = now, UpdatedAt = now };
        if (EntityTag.CheckIfMatch(http.Request, current, "health thresholds") is { } precondition)
        {
            return precondition;
        }

        string before = AuditTrail.Snapshot(current);
        current.CheckInMinutes = input.CheckInMinutes;
        current.CpuHealthyMaximumPercent = input.CpuHealthyMaximumPercent;
        current.CpuUnhealthyPercent = input.CpuUnhealthyPercent;
        current.MemoryHealthyMaximumPercent = input.MemoryHealthyMaximumPercent;
        current.MemoryUnhealthyPercent = input.MemoryUnhealthyPercent;
        current.CertificateWarningDays = input.CertificateWarningDays;
        current.LatencyWarningMilliseconds = input.LatencyWarningMilliseconds;
        current.LatencyUnhealthyMilliseconds = input.LatencyUnhealthyMilliseconds;
        current.MaximumSessions = input.MaximumSessions;
        ValidationErrors errors = HealthThresholdsValidator.Validate(current);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The health thresholds are not valid.");
        }

        current.Version++;
        current.UpdatedAt = now;
        if (stored is null)
        {
            db.HealthThresholds.Add(current);
        }

        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), stored is null ? AuditAction.Created : AuditAction.Updated, current, current.Id, before, AuditTrail.Snapshot(current), now);
        if (await ResourceEndpoints.SaveAsync(db, "health thresholds", ct) is ProblemHttpResult problem)
        {
            return problem;
        }

        EntityTag.Set(http.Response, current);
        return TypedResults.Ok(current);
    }

    private static async Task<Results<Ok<List<AgentCertificate>>, ProblemHttpResult>> ListCertificatesAsync(Guid id, ManagementDbContext db, CancellationToken ct)
    {
        if (!await db.Servers.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        return TypedResults.Ok(await db.AgentCertificates.AsNoTracking().Where(c => c.ServerId == id).OrderBy(c => c.IssuedAt).ToListAsync(ct));
    }

    private static Task<Results<Ok<RevokedCertificates>, ProblemHttpResult>> RevokeCertificatesAsync(
        Guid id, RevokeCertificatesInput? input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct) =>
        RevokeServerAsync(id, input, db, AuditTrail.ActorOf(http.User), clock, ct);

    /// <summary>
    /// Revokes every certificate of the server that is not revoked yet, audited as <paramref name="actor"/>:
    /// its agent is refused from its next request on, until it enrols again. The API and the console both revoke through here.
    /// </summary>
    internal static async Task<Results<Ok<RevokedCertificates>, ProblemHttpResult>> RevokeServerAsync(
        Guid id, RevokeCertificatesInput? input, ManagementDbContext db, string actor, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Servers.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        List<AgentCertificate> active = await db.AgentCertificates.Where(c => c.ServerId == id && c.RevokedAt == null).ToListAsync(ct);
        foreach (AgentCertificate certificate in active)
        {
            string before = AuditTrail.Snapshot(certificate);
            certificate.RevokedAt = now;
            certificate.RevocationReason = input?.Reason ?? $"revoked by {actor}";
            AuditTrail.Record(db, actor, AuditAction.Updated, certificate, certificate.Id, before, AuditTrail.Snapshot(certificate), now);
        }

        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RevokedCertificates(active.Count));
    }

    private static Task<Results<Created<AgentCommand>, ValidationProblem, ProblemHttpResult>> CreateServerCommandAsync(
        Guid id, AgentCommandInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, ChangeFeed feed, CancellationToken ct) =>
        QueueServerCommandAsync(id, input, db, AuditTrail.ActorOf(http.User), clock, feed, ct);

    /// <summary>Queues a command for one server's agent, audited as <paramref name="actor"/>, and wakes its poll. The API and the console both queue through here.</summary>
    internal static async Task<Results<Created<AgentCommand>, ValidationProblem, ProblemHttpResult>> QueueServerCommandAsync(
        Guid id, AgentCommandInput input, ManagementDbContext db, string actor, TimeProvider clock, ChangeFeed feed, CancellationToken ct)
    {
        if (!await db.Servers.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        ValidationErrors errors = Validate(input);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The command is not valid.");
        }

        AgentCommand command = Queue(db, id, input, actor, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        feed.Notify();
        return TypedResults.Created($"{ManagementApi.Prefix}/servers/{id}/commands/{command.Id}", command);
    }

    /// <summary>One command for every server of the site, for example to revoke a user's sessions wherever they are.</summary>
    private static async Task<Results<Created<List<AgentCommand>>, ValidationProblem, ProblemHttpResult>> CreateSiteCommandsAsync(
        Guid id, AgentCommandInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, ChangeFeed feed, CancellationToken ct)
    {
        if (!await db.Sites.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("site", id);
        }

        ValidationErrors errors = Validate(input);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The command is not valid.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        string actor = AuditTrail.ActorOf(http.User);
        List<Guid> servers = await db.Servers.Where(s => s.SiteId == id).Select(s => s.Id).ToListAsync(ct);
        List<AgentCommand> commands = servers.ConvertAll(server => Queue(db, server, input, actor, now));
        await db.SaveChangesAsync(ct);
        feed.Notify();
        return TypedResults.Created($"{ManagementApi.Prefix}/sites/{id}/commands", commands);
    }

    private static async Task<Results<Ok<List<AgentCommand>>, ProblemHttpResult>> ListCommandsAsync(Guid id, ManagementDbContext db, CancellationToken ct)
    {
        if (!await db.Servers.AnyAsync(s => s.Id == id, ct))
        {
            return ResourceEndpoints.NotFound("server", id);
        }

        return TypedResults.Ok(await db.AgentCommands.AsNoTracking().Where(c => c.ServerId == id).OrderByDescending(c => c.CreatedAt).Take(100).ToListAsync(ct));
    }

    private static async Task<Results<Ok<AgentCommand>, ProblemHttpResult>> GetCommandAsync(Guid id, Guid commandId, ManagementDbContext db, CancellationToken ct)
    {
        AgentCommand? command = await db.AgentCommands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == commandId && c.ServerId == id, ct);
        return command is null ? ResourceEndpoints.NotFound("command", commandId) : TypedResults.Ok(command);
    }

    private static ValidationErrors Validate(AgentCommandInput input)
    {
        var errors = new ValidationErrors();
        switch (input.Kind)
        {
            case null:
                errors.Add("kind", "is required: disconnect, terminate, revokeSessions or collectLogs.");
                break;
            case AgentCommandKind.CollectLogs when input.Target is not null:
                errors.Add("target", "is not taken by collectLogs.");
                break;
            case AgentCommandKind.Disconnect or AgentCommandKind.Terminate or AgentCommandKind.RevokeSessions:
                errors.RequireName("target", input.Target, MaximumTargetLength);
                break;
        }

        return errors;
    }

    /// <summary>Adds a pending command for one server, with its audit entry; the caller saves and notifies the change feed.</summary>
    internal static AgentCommand Queue(ManagementDbContext db, Guid serverId, AgentCommandInput input, string actor, DateTime now)
    {
        var command = new AgentCommand { Id = Guid.NewGuid(), ServerId = serverId, Kind = input.Kind!.Value, Target = input.Target, Actor = actor, CreatedAt = now };
        db.AgentCommands.Add(command);
        AuditTrail.Record(db, actor, AuditAction.Created, command, command.Id, null, AuditTrail.Snapshot(command), now);
        return command;
    }
}
