using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// On PostgreSQL, announces a saved change that waiting agents care about (a server
/// configuration, a site, a server, an agent command) with <c>NOTIFY</c> on
/// <see cref="ChangeFeed.Channel"/>, after the save: every replica's <see cref="ChangeFeed"/>
/// listens and wakes its polls. The notification is sent in the save's transaction when there is
/// one, so PostgreSQL delivers it at commit, after the change is readable.
/// </summary>
internal sealed class ChangeNotifier : SaveChangesInterceptor
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Mark(eventData);
        return base.SavingChanges(eventData, result);
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Mark(eventData);
        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is { } context && _pending.Remove(context))
        {
            context.Database.ExecuteSql($"SELECT pg_notify({ChangeFeed.Channel}, '')");
        }

        return base.SavedChanges(eventData, result);
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is { } context && _pending.Remove(context))
        {
            await context.Database.ExecuteSqlAsync($"SELECT pg_notify({ChangeFeed.Channel}, '')", cancellationToken);
        }

        return await base.SavedChangesAsync(eventData, result, cancellationToken);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is { } context)
        {
            _pending.Remove(context);
        }

        base.SaveChangesFailed(eventData);
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    private void Mark(DbContextEventData eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is not { } context || !context.Database.IsNpgsql())
        {
            return;
        }

        bool relevant = context.ChangeTracker.Entries().Any(e =>
            e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
            && e.Entity is ServerConfiguration or Site or Server or AgentCommand);
        if (relevant)
        {
            _pending.AddOrUpdate(context, context);
        }
    }
}
