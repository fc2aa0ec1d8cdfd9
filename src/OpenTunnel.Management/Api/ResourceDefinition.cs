using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api;

/// <summary>
/// What differs between the administered resources; <see cref="ResourceEndpoints"/> supplies
/// what is the same (paging, ETags, If-Match, validation answers, conflicts, audit).
/// </summary>
/// <typeparam name="TEntity">The stored object, also the response body.</typeparam>
/// <typeparam name="TInput">The body of create and update: only what an administrator sets.</typeparam>
/// <typeparam name="TFilter">The list endpoint's query parameters.</typeparam>
public abstract class ResourceDefinition<TEntity, TInput, TFilter>
    where TEntity : ManagedObject, new()
    where TFilter : ListQuery
{
    /// <summary>The path segment under /api/v1, e.g. "sites".</summary>
    public abstract string Path { get; }

    /// <summary>The object's name in messages, e.g. "site".</summary>
    public abstract string Noun { get; }

    /// <summary>Whether POST creates one (servers are created by enrolment instead).</summary>
    public virtual bool AllowCreate => true;

    public abstract IQueryable<TEntity> Filter(IQueryable<TEntity> query, TFilter filter);

    /// <summary>Copies the input onto the object; what the input leaves out gets its documented default.</summary>
    public abstract void Apply(TInput input, TEntity entity);

    /// <summary>The pure checks of <c>Validation/</c>.</summary>
    public abstract ValidationErrors Validate(TEntity entity);

    /// <summary>Checks that the ids the object names exist.</summary>
    public virtual Task CheckReferencesAsync(TEntity entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Rows another object of the same unique key would match (e.g. same name); null when nothing is unique.</summary>
    public virtual Expression<Func<TEntity, bool>>? SameKey(TEntity entity) => null;

    /// <summary>Why the object cannot be deleted (what still uses it), or null.</summary>
    public virtual Task<string?> FindUseAsync(TEntity entity, ManagementDbContext db, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    /// <summary>Work on other objects before the change is saved, in the same unit of work.</summary>
    public virtual Task BeforeSaveAsync(TEntity entity, ManagementDbContext db, DateTime now, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Rows named like <paramref name="entity"/>: the unique key of every named resource.</summary>
    protected static Expression<Func<TEntity, bool>> SameName(TEntity entity) => NameIs(NameOf(entity));

    /// <summary>Filters on the exact name when one is given.</summary>
    protected static IQueryable<TEntity> WhereName(IQueryable<TEntity> query, string? name) =>
        name is null ? query : query.Where(NameIs(name));

    private static string NameOf(TEntity entity) =>
        entity is INamedObject named ? named.Name : throw new InvalidOperationException($"{typeof(TEntity).Name} has no name.");

    private static Expression<Func<TEntity, bool>> NameIs(string name)
    {
        ParameterExpression x = Expression.Parameter(typeof(TEntity), "x");
        return Expression.Lambda<Func<TEntity, bool>>(Expression.Equal(Expression.Property(x, nameof(INamedObject.Name)), Expression.Constant(name)), x);
    }

    /// <summary>Adds an error to <paramref name="field"/> for each id that names no row of <paramref name="set"/>.</summary>
    protected static async Task RequireExistingAsync<T>(
        IQueryable<T> set, IReadOnlyList<Guid> ids, ValidationErrors errors, string field, string noun, bool single, CancellationToken cancellationToken)
        where T : ManagedObject
    {
        if (ids.Count == 0)
        {
            return;
        }

        List<Guid> found = await set.Where(x => ids.Contains(x.Id)).Select(x => x.Id).ToListAsync(cancellationToken);
        for (int i = 0; i < ids.Count; i++)
        {
            if (ids[i] != Guid.Empty && !found.Contains(ids[i]))
            {
                errors.Add(single ? field : $"{field}[{i}]", $"no {noun} has id {ids[i]}.");
            }
        }
    }
}
