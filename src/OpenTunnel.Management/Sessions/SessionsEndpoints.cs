using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Sessions;

/// <summary>The filters of <c>GET /api/v1/sessions</c>: user and device (exact), site and server (an id or a name), the gateway's session id, and the page.</summary>
public sealed class SessionFilter : ListQuery
{
    public long? Session { get; set; }

    public string? User { get; set; }

    public string? Device { get; set; }

    public string? Site { get; set; }

    public string? Server { get; set; }
}

/// <summary>
/// One session a gateway holds, as its agent last reported it: <see cref="ReportedAt"/> is when
/// that snapshot was taken.
/// </summary>
public sealed record SessionView(
    Guid ServerId,
    string ServerName,
    Guid SiteId,
    string SiteName,
    long SessionId,
    string UserName,
    string? DeviceId,
    string ClientAddress,
    string? Address,
    string? Address6,
    string? Channel,
    DateTime SignedInAt,
    DateTime? ConnectedSince,
    long BytesIn,
    long BytesOut,
    DateTime ReportedAt);

/// <summary>
/// Body of POST /api/v1/sessions/commands: <see cref="Kind"/> disconnect or terminate, of one
/// session (<see cref="ServerId"/> and <see cref="SessionId"/>) or of every session of
/// <see cref="User"/> on the servers that hold one.
/// </summary>
public sealed record SessionCommandInput(AgentCommandKind? Kind, Guid? ServerId = null, long? SessionId = null, string? User = null);

/// <summary>
/// The sessions across every gateway, from the newest snapshot of each server
/// (<c>GET /api/v1/sessions</c>, read role), and disconnect or terminate of a session or a user's
/// sessions (<c>POST /api/v1/sessions/commands</c>, full administrators), which queue the
/// ordinary server commands.
/// </summary>
public static class SessionsEndpoints
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("sessions", ListAsync).WithTags("sessions").WithName("ListSessions")
            .WithSummary("The sessions every gateway holds, as each agent last reported them.")
            .WithDescription("Query: user, device (exact), site, server (id or name), session (the gateway's session id), page, pageSize (1 to 500, default 50). Each session names the time its server's snapshot was taken (reportedAt).");
        api.MapPost("sessions/commands", CreateCommandsAsync).WithTags("sessions").WithName("CreateSessionCommands")
            .WithSummary("Disconnect or terminate one session, or every session of a user.")
            .RequireAuthorization(AuthorizationSetup.WritePolicy);
        return api;
    }

    /// <summary>The sessions the filter selects, by user, server and session id (also the console's sessions page).</summary>
    internal static async Task<Results<Ok<Page<SessionView>>, ValidationProblem>> ListAsync([AsParameters] SessionFilter filter, ManagementDbContext db, CancellationToken ct)
    {
        ValidationErrors errors = filter.Validate();
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The sessions query is not valid.");
        }

        var rows = from live in db.LiveSessions.AsNoTracking()
                   join server in db.Servers.AsNoTracking() on live.ServerId equals server.Id
                   join site in db.Sites.AsNoTracking() on server.SiteId equals site.Id
                   join snapshot in db.SessionSnapshots.AsNoTracking() on live.ServerId equals snapshot.ServerId
                   select new { live, server, site, snapshot };
        if (filter.User is { Length: > 0 } user)
        {
            rows = rows.Where(r => r.live.UserName == user);
        }

        if (filter.Device is { Length: > 0 } device)
        {
            rows = rows.Where(r => r.live.DeviceId == device);
        }

        if (filter.Site is { Length: > 0 } siteFilter)
        {
            rows = Guid.TryParse(siteFilter, out Guid siteId) ? rows.Where(r => r.site.Id == siteId) : rows.Where(r => r.site.Name == siteFilter);
        }

        if (filter.Server is { Length: > 0 } serverFilter)
        {
            rows = Guid.TryParse(serverFilter, out Guid serverId) ? rows.Where(r => r.server.Id == serverId) : rows.Where(r => r.server.Name == serverFilter);
        }

        if (filter.Session is { } session)
        {
            rows = rows.Where(r => r.live.SessionId == session);
        }

        int total = await rows.CountAsync(ct);
        List<SessionView> items = await rows
            .OrderBy(r => r.live.UserName).ThenBy(r => r.server.Name).ThenBy(r => r.live.SessionId)
            .Skip((filter.PageNumber - 1) * filter.Size).Take(filter.Size)
            .Select(r => new SessionView(
                r.server.Id, r.server.Name, r.site.Id, r.site.Name, r.live.SessionId, r.live.UserName, r.live.DeviceId, r.live.ClientAddress,
                r.live.Address, r.live.Address6, r.live.Channel, r.live.SignedInAt, r.live.ConnectedSince, r.live.BytesIn, r.live.BytesOut, r.snapshot.TakenAt))
            .ToListAsync(ct);
        return TypedResults.Ok(new Page<SessionView>(items, filter.PageNumber, filter.Size, total));
    }

    private static Task<Results<Created<List<AgentCommand>>, ValidationProblem, ProblemHttpResult>> CreateCommandsAsync(
        SessionCommandInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, ChangeFeed feed, CancellationToken ct) =>
        QueueAsync(input, db, AuditTrail.ActorOf(http.User), clock, feed, ct);

    /// <summary>
    /// Queues the command for the session's server, or for every server whose newest snapshot
    /// lists a session of the user, audited as <paramref name="actor"/>. The API and the console both queue through here.
    /// </summary>
    internal static async Task<Results<Created<List<AgentCommand>>, ValidationProblem, ProblemHttpResult>> QueueAsync(
        SessionCommandInput input, ManagementDbContext db, string actor, TimeProvider clock, ChangeFeed feed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidationErrors errors = Validate(input);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The session command is not valid.");
        }

        List<(Guid Server, string Target)> targets;
        if (input.User is { } user)
        {
            List<Guid> servers = await db.LiveSessions.AsNoTracking().Where(l => l.UserName == user).Select(l => l.ServerId).Distinct().ToListAsync(ct);
            if (servers.Count == 0)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such session.",
                    detail: $"No server's newest session snapshot lists a session of '{user}'.");
            }

            targets = servers.ConvertAll(server => (server, user));
        }
        else
        {
            Guid serverId = input.ServerId!.Value;
            if (!await db.Servers.AnyAsync(s => s.Id == serverId, ct))
            {
                return ResourceEndpoints.NotFound("server", serverId);
            }

            targets = [(serverId, input.SessionId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        List<AgentCommand> commands = targets.ConvertAll(t => AgentAdministrationEndpoints.Queue(db, t.Server, new AgentCommandInput(input.Kind, t.Target), actor, now));
        await db.SaveChangesAsync(ct);
        feed.Notify();
        return TypedResults.Created($"{ManagementApi.Prefix}/sessions/commands", commands);
    }

    private static ValidationErrors Validate(SessionCommandInput input)
    {
        var errors = new ValidationErrors();
        if (input.Kind is not (AgentCommandKind.Disconnect or AgentCommandKind.Terminate))
        {
            errors.Add("kind", input.Kind is null ? "is required: disconnect or terminate." : $"is {input.Kind}; sessions take disconnect or terminate.");
        }

        bool session = input.ServerId is not null || input.SessionId is not null;
        if (input.User is not null && session)
        {
            errors.Add("user", "is given with serverId or sessionId: give a user, or a server and one of its sessions.");
        }
        else if (input.User is not null)
        {
            errors.RequireName("user", input.User, AgentAdministrationEndpoints.MaximumTargetLength);
        }
        else if (input.ServerId is null || input.SessionId is null)
        {
            errors.Add(input.ServerId is null ? "serverId" : "sessionId", "is required: give serverId and sessionId of one session, or user for every session of a user.");
        }
        else if (input.SessionId < 0)
        {
            errors.Add("sessionId", $"is {input.SessionId}; a session id is not negative.");
        }

        return errors;
    }
}
