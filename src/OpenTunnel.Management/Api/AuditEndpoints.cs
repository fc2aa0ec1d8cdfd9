using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Api;

public sealed class AuditFilter : ListQuery
{
    /// <summary>The changed object's type, e.g. Site.</summary>
    public string? EntityType { get; set; }

    public Guid? EntityId { get; set; }

    /// <summary>Exact actor, e.g. api-key:first-admin.</summary>
    public string? Actor { get; set; }

    /// <summary>Changes at or after this time (UTC).</summary>
    public DateTime? From { get; set; }

    /// <summary>Changes before this time (UTC).</summary>
    public DateTime? To { get; set; }
}

/// <summary>The audit log, read-only: newest first.</summary>
public static class AuditEndpoints
{
    public static void MapAudit(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        RouteGroupBuilder audit = api.MapGroup("audit").WithTags("audit");
        audit.MapGet("", ListAsync).WithName("ListAuditEntries");
        audit.MapGet("{id:long}", async Task<Results<Ok<AuditEntry>, ProblemHttpResult>> (long id, ManagementDbContext db, CancellationToken ct) =>
                await db.AuditEntries.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct) is { } entry
                    ? TypedResults.Ok(entry)
                    : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such audit entry.", detail: $"No audit entry has id {id}."))
            .WithName("GetAuditEntry");
    }

    /// <summary>The entries the filter selects, newest first (also the console's audit page).</summary>
    internal static async Task<Results<Ok<Page<AuditEntry>>, ValidationProblem>> ListAsync([AsParameters] AuditFilter filter, ManagementDbContext db, CancellationToken ct)
    {
        var errors = filter.Validate();
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The list query is not valid.");
        }

        IQueryable<AuditEntry> query = db.AuditEntries.AsNoTracking();
        if (filter.EntityType is not null)
        {
            query = query.Where(a => a.EntityType == filter.EntityType);
        }

        if (filter.EntityId is { } id)
        {
            query = query.Where(a => a.EntityId == id);
        }

        if (filter.Actor is not null)
        {
            query = query.Where(a => a.Actor == filter.Actor);
        }

        if (filter.From is { } from)
        {
            DateTime utc = from.ToUniversalTime();
            query = query.Where(a => a.At >= utc);
        }

        if (filter.To is { } to)
        {
            DateTime utc = to.ToUniversalTime();
            query = query.Where(a => a.At < utc);
        }

        int total = await query.CountAsync(ct);
        List<AuditEntry> items = await query.OrderByDescending(a => a.Id)
            .Skip((filter.PageNumber - 1) * filter.Size).Take(filter.Size).ToListAsync(ct);
        return TypedResults.Ok(new Page<AuditEntry>(items, filter.PageNumber, filter.Size, total));
    }
}
