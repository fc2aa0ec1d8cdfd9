using System.Linq.Expressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api;

/// <summary>
/// Maps list, read, create, update and delete for one resource, the same way for all:
/// GET answers with an ETag; PUT and DELETE need If-Match (428 without, 412 when stale); every
/// write is validated (400 problem naming each field), checked for conflicts (409) and audited.
/// </summary>
public static class ResourceEndpoints
{
    public static RouteGroupBuilder MapResource<TEntity, TInput, TFilter>(this RouteGroupBuilder api, ResourceDefinition<TEntity, TInput, TFilter> resource)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(resource);
        RouteGroupBuilder group = api.MapGroup(resource.Path).WithTags(resource.Path);
        string type = typeof(TEntity).Name;

        group.MapGet("", ([AsParameters] TFilter filter, ManagementDbContext db, CancellationToken ct) => ListAsync(resource, filter, db, ct))
            .WithName($"List{type}");
        group.MapGet("{id:guid}", (Guid id, ManagementDbContext db, HttpResponse response, CancellationToken ct) => GetAsync(resource, id, db, response, ct))
            .WithName($"Get{type}");
        if (resource.AllowCreate)
        {
            group.MapPost("", (TInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct) =>
                    CreateAsync(resource, input, db, http, clock, ct))
                .WithName($"Create{type}")
                .RequireAuthorization(AuthorizationSetup.WritePolicy);
        }

        group.MapPut("{id:guid}", (Guid id, TInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct) =>
                UpdateAsync(resource, id, input, db, http, clock, ct))
            .WithName($"Update{type}")
            .RequireAuthorization(AuthorizationSetup.WritePolicy);
        group.MapDelete("{id:guid}", (Guid id, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct) =>
                DeleteAsync(resource, id, db, http, clock, ct))
            .WithName($"Delete{type}")
            .RequireAuthorization(AuthorizationSetup.WritePolicy);
        return group;
    }

    private static async Task<Results<Ok<Page<TEntity>>, ValidationProblem>> ListAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, TFilter filter, ManagementDbContext db, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        ValidationErrors errors = filter.Validate();
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The list query is not valid.");
        }

        IQueryable<TEntity> query = resource.Filter(db.Set<TEntity>().AsNoTracking(), filter);
        int total = await query.CountAsync(ct);
        List<TEntity> items = await query
            .OrderBy(x => x.CreatedAt).ThenBy(x => x.Id)
            .Skip((filter.PageNumber - 1) * filter.Size).Take(filter.Size)
            .ToListAsync(ct);
        return TypedResults.Ok(new Page<TEntity>(items, filter.PageNumber, filter.Size, total));
    }

    private static async Task<Results<Ok<TEntity>, ProblemHttpResult>> GetAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, Guid id, ManagementDbContext db, HttpResponse response, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        TEntity? item = await db.Set<TEntity>().AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (item is null)
        {
            return NotFound(resource.Noun, id);
        }

        EntityTag.Set(response, item);
        return TypedResults.Ok(item);
    }

    private static async Task<Results<Created<TEntity>, ValidationProblem, ProblemHttpResult>> CreateAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, TInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        (TEntity? item, IResult? refusal) = await CreateAsync(resource, input, db, AuditTrail.ActorOf(http.User), clock, ct);
        if (item is null)
        {
            return Refused<Created<TEntity>>(refusal!);
        }

        EntityTag.Set(http.Response, item);
        return TypedResults.Created($"/api/v1/{resource.Path}/{item.Id}", item);
    }

    /// <summary>
    /// Creates, validates, audits and stores one object as <paramref name="actor"/>: the stored
    /// object, or the refusal (<see cref="ValidationProblem"/> naming each field, or a problem with
    /// its status). The API and the console both write through here.
    /// </summary>
    internal static async Task<(TEntity? Stored, IResult? Refusal)> CreateAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, TInput input, ManagementDbContext db, string actor, TimeProvider clock, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        var item = new TEntity { Id = Guid.NewGuid(), Version = 1, CreatedAt = now, UpdatedAt = now };
        resource.Apply(input, item);
        IResult? refusal = await CheckAsync(resource, item, db, ct);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        db.Set<TEntity>().Add(item);
        await resource.BeforeSaveAsync(item, db, now, ct);
        AuditTrail.Record(db, actor, AuditAction.Created, item, item.Id, null, AuditTrail.Snapshot(item), now);
        refusal = await SaveAsync(db, resource.Noun, ct);
        return refusal is null ? (item, null) : (null, refusal);
    }

    private static async Task<Results<Ok<TEntity>, ValidationProblem, ProblemHttpResult>> UpdateAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, Guid id, TInput input, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        (TEntity? item, IResult? refusal) = await UpdateAsync(resource, id, http.Request.Headers.IfMatch, input, db, AuditTrail.ActorOf(http.User), clock, ct);
        if (item is null)
        {
            return Refused<Ok<TEntity>>(refusal!);
        }

        EntityTag.Set(http.Response, item);
        return TypedResults.Ok(item);
    }

    /// <summary>
    /// Changes one object when <paramref name="ifMatch"/> names its current version, validates,
    /// audits and stores it as <paramref name="actor"/>: the stored object, or the refusal (404,
    /// 428, 412 when stale, a <see cref="ValidationProblem"/>, 409). The API and the console both write through here.
    /// </summary>
    internal static async Task<(TEntity? Stored, IResult? Refusal)> UpdateAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, Guid id, string? ifMatch, TInput input, ManagementDbContext db, string actor, TimeProvider clock, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        (TEntity? item, ProblemHttpResult? unwritable) = await LoadForWriteAsync(resource, id, db, ifMatch, ct);
        if (item is null)
        {
            return (null, unwritable);
        }

        string before = AuditTrail.Snapshot(item);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        resource.Apply(input, item);
        IResult? refusal = await CheckAsync(resource, item, db, ct);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        item.Version++;
        item.UpdatedAt = now;
        await resource.BeforeSaveAsync(item, db, now, ct);
        AuditTrail.Record(db, actor, AuditAction.Updated, item, item.Id, before, AuditTrail.Snapshot(item), now);
        refusal = await SaveAsync(db, resource.Noun, ct);
        return refusal is null ? (item, null) : (null, refusal);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, Guid id, ManagementDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        (TEntity? item, ProblemHttpResult? unwritable) = await LoadForWriteAsync(resource, id, db, http.Request.Headers.IfMatch, ct);
        if (item is null)
        {
            return unwritable!;
        }

        if (await resource.FindUseAsync(item, db, ct) is { } use)
        {
            return Conflict($"The {resource.Noun} is in use.", $"This {resource.Noun} cannot be deleted: {use}");
        }

        db.Set<TEntity>().Remove(item);
        AuditTrail.Record(db, AuditTrail.ActorOf(http.User), AuditAction.Deleted, item, item.Id, AuditTrail.Snapshot(item), null, clock.GetUtcNow().UtcDateTime);
        return await SaveAsync(db, resource.Noun, ct) is ProblemHttpResult problem ? problem : TypedResults.NoContent();
    }

    /// <summary>The tracked object, or why it may not be written: 404, 428 or 412.</summary>
    private static async Task<(TEntity? Item, ProblemHttpResult? Refusal)> LoadForWriteAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, Guid id, ManagementDbContext db, string? ifMatch, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        TEntity? item = await db.Set<TEntity>().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (item is null)
        {
            return (null, NotFound(resource.Noun, id));
        }

        return EntityTag.CheckIfMatch(ifMatch, item, resource.Noun) is { } precondition ? (null, precondition) : (item, null);
    }

    /// <summary>Validation, references, then uniqueness; null when the object may be stored.</summary>
    private static async Task<IResult?> CheckAsync<TEntity, TInput, TFilter>(
        ResourceDefinition<TEntity, TInput, TFilter> resource, TEntity item, ManagementDbContext db, CancellationToken ct)
        where TEntity : ManagedObject, new()
        where TFilter : ListQuery
    {
        ValidationErrors errors = resource.Validate(item);
        await resource.CheckReferencesAsync(item, db, errors, ct);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: $"The {resource.Noun} is not valid.");
        }

        if (resource.SameKey(item) is { } sameKey)
        {
            Guid id = item.Id;
            Expression<Func<TEntity, bool>> other = x => x.Id != id;
            if (await db.Set<TEntity>().AsNoTracking().Where(other).AnyAsync(sameKey, ct))
            {
                return Conflict($"Another {resource.Noun} has this name.", $"Another {resource.Noun} is already named like this one; names are unique.");
            }
        }

        return null;
    }

    /// <summary>
    /// Saves, turning a lost race into an answer: another replica changed the row since it was
    /// read (the version token no longer matches) → 412, a unique key taken meanwhile → 409. A
    /// database that cannot be written now (locked, read-only, full, unreachable) is not a
    /// conflict: it goes to <see cref="Hosting.DatabaseUnavailableHandler"/>, which answers 503.
    /// </summary>
    internal static async Task<IResult?> SaveAsync(ManagementDbContext db, string noun, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status412PreconditionFailed,
                title: "The object changed since it was read.",
                detail: $"Another change to this {noun} was stored first: read it again, then retry.");
        }
        catch (DbUpdateException ex) when (Hosting.DatabaseUnavailableHandler.TransientCause(ex) is null)
        {
            return Conflict($"The {noun} conflicts with stored data.", $"The database refused the change: {ex.InnerException?.Message ?? ex.Message}");
        }
    }

    internal static ProblemHttpResult NotFound(string noun, Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {noun}.", detail: $"No {noun} has id {id}.");

    internal static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);

    private static Results<TOk, ValidationProblem, ProblemHttpResult> Refused<TOk>(IResult refusal)
        where TOk : IResult =>
        refusal switch
        {
            ValidationProblem validation => validation,
            _ => (ProblemHttpResult)refusal,
        };
}
