using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.AccessLog;

/// <summary>One page of the access log, newest session end first; <see cref="NextCursor"/> asks for the next page, null on the last.</summary>
public sealed record AccessLogPage(IReadOnlyList<AccessLogEntry> Items, string? NextCursor);

/// <summary>The access log, read-only, with the audit log's read role: <c>GET /api/v1/access-log</c> (see <see cref="AccessLogQuery"/>).</summary>
public static class AccessLogEndpoints
{
    public static void MapAccessLog(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("access-log", ListAsync).WithTags("access-log").WithName("ListAccessLog")
            .WithSummary("Ended VPN sessions, newest end first.")
            .WithDescription("Query: user, device (exact), site, server (id or name), from, to (ISO 8601: sessions up at some moment in [from, to)), "
                + "limit (1 to 500, default 50), cursor (nextCursor of the page before). A bad value is a 400 naming the parameter.");
    }

    private static Task<Results<Ok<AccessLogPage>, ValidationProblem>> ListAsync(HttpRequest request, ManagementDbContext db, CancellationToken ct) =>
        QueryAsync(request.Query, db, ct);

    /// <summary>The page the query parameters ask for, or a 400 naming each bad one (also the console's access log page).</summary>
    internal static async Task<Results<Ok<AccessLogPage>, ValidationProblem>> QueryAsync(IEnumerable<KeyValuePair<string, StringValues>> parameters, ManagementDbContext db, CancellationToken ct)
    {
        AccessLogQuery? query = AccessLogQuery.Parse(parameters, out var errors);
        if (query is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The access-log query is not valid.");
        }

        IQueryable<AccessLogEntry> entries = db.AccessLog.AsNoTracking();
        if (query.User is { } user)
        {
            entries = entries.Where(a => a.UserName == user);
        }

        if (query.Device is { } device)
        {
            entries = entries.Where(a => a.DeviceId == device);
        }

        if (query.Site is { } site)
        {
            entries = Guid.TryParse(site, out Guid siteId) ? entries.Where(a => a.SiteId == siteId) : entries.Where(a => a.SiteName == site);
        }

        if (query.Server is { } server)
        {
            entries = Guid.TryParse(server, out Guid serverId) ? entries.Where(a => a.ServerId == serverId) : entries.Where(a => a.ServerName == server);
        }

        if (query.From is { } from)
        {
            entries = entries.Where(a => a.EndedAt >= from);
        }

        if (query.To is { } to)
        {
            entries = entries.Where(a => a.StartedAt < to);
        }

        if (query.Cursor is { } cursor)
        {
            entries = entries.Where(a => a.EndedAt < cursor.EndedAt || (a.EndedAt == cursor.EndedAt && a.Id < cursor.Id));
        }

        List<AccessLogEntry> items = await entries.OrderByDescending(a => a.EndedAt).ThenByDescending(a => a.Id).Take(query.Limit + 1).ToListAsync(ct);
        string? next = null;
        if (items.Count > query.Limit)
        {
            items.RemoveAt(items.Count - 1);
            next = new AccessLogCursor(items[^1].EndedAt, items[^1].Id).ToString();
        }

        return TypedResults.Ok(new AccessLogPage(items, next));
    }
}
