using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpenTunnel.Identity.Access;
using OpenTunnel.Identity.Data;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Access;

/// <summary>
/// Records a continuous-access-evaluation event in the same save as the change that withdraws
/// access, whichever API made it: a device turning non-compliant (a report, a device edit, a
/// changed compliance policy), retired or deleted; a user disabled, removed from a group, or
/// deleted; a conditional-access policy changed so that users it let in are refused. After the save, <see cref="AccessEventDelivery"/> is signalled to tell the gateways.
/// </summary>
internal sealed class AccessChangeInterceptor(AccessEventDelivery delivery, TimeProvider clock) : SaveChangesInterceptor
{
    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is { } context)
        {
            Record(context);
            if (context is ManagementDbContext management)
            {
                await RecordPolicyChangesAsync(management, cancellationToken);
            }
        }

        return await base.SavingChangesAsync(eventData, result, cancellationToken);
    }

    /// <summary>
    /// A conditional-access policy changed or deleted re-evaluates the users it named before: each
    /// user who was allowed at one of its sites (with one of the user's devices, or with none) and
    /// is not allowed there under the policies as saved gets an access event, so the gateways end
    /// the sessions that the policies no longer allow; the user signs in again where still allowed.
    /// </summary>
    private async Task RecordPolicyChangesAsync(ManagementDbContext context, CancellationToken cancellationToken)
    {
        var changed = context.ChangeTracker.Entries<ConditionalAccessPolicy>().Where(e => e.State is EntityState.Modified or EntityState.Deleted).ToList();
        if (changed.Count == 0)
        {
            return;
        }

        // Before: the rows as stored. After: the same with this save's additions, edits and deletions.
        List<ConditionalAccessPolicy> before = await context.ConditionalAccessPolicies.AsNoTracking().ToListAsync(cancellationToken);
        Dictionary<Guid, ConditionalAccessPolicy> after = before.ToDictionary(p => p.Id);
        foreach (EntityEntry<ConditionalAccessPolicy> entry in context.ChangeTracker.Entries<ConditionalAccessPolicy>())
        {
            if (entry.State == EntityState.Deleted)
            {
                after.Remove(entry.Entity.Id);
            }
            else if (entry.State is EntityState.Added or EntityState.Modified)
            {
                after[entry.Entity.Id] = entry.Entity;
            }
        }

        var groups = new HashSet<Guid>();
        var sites = new HashSet<Guid>();
        foreach (ConditionalAccessPolicy old in before.Where(p => changed.Exists(e => e.Entity.Id == p.Id)))
        {
            groups.UnionWith(old.GroupIds);
            sites.UnionWith(old.SiteIds);
        }

        List<User> users = (await context.Users.AsNoTracking().Where(u => u.Enabled).ToListAsync(cancellationToken)).FindAll(u => u.GroupIds.Exists(groups.Contains));
        List<Guid> owners = users.ConvertAll(u => u.Id);
        List<Device> devices = await context.Devices.AsNoTracking().Where(d => owners.Contains(d.OwnerId)).ToListAsync(cancellationToken);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        foreach (User user in users)
        {
            var options = new List<AccessDevice?> { null };
            options.AddRange(devices.Where(d => d.OwnerId == user.Id).Select(d => new AccessDevice(d.EnrolmentState, d.ComplianceState)));
            bool lost = sites.Any(site => options.Any(device =>
                ConditionalAccessEvaluator.Evaluate(user.GroupIds, site, device, before).Allowed
                && !ConditionalAccessEvaluator.Evaluate(user.GroupIds, site, device, after.Values).Allowed));
            if (lost)
            {
                context.Set<AccessEvent>().Add(new AccessEvent
                {
                    At = now,
                    Kind = AccessEventKind.ConditionalAccessChanged,
                    UserId = user.Id,
                    UserName = user.Name,
                    Reason = $"User {user.Name} is no longer allowed where a changed conditional-access policy let them in.",
                });
            }
        }
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context?.ChangeTracker.Entries<AccessEvent>().Any() == true)
        {
            delivery.Notify();
        }

        return base.SavedChangesAsync(eventData, result, cancellationToken);
    }

    private void Record(DbContext context)
    {
        var events = new List<AccessEvent>();
        foreach (EntityEntry<Device> entry in context.ChangeTracker.Entries<Device>())
        {
            if (DeviceEvent(entry) is { } found)
            {
                Guid owner = entry.Entity.OwnerId;
                events.Add(new AccessEvent { Kind = found.Kind, DeviceId = entry.Entity.Id, UserId = owner, Reason = $"Device {entry.Entity.Name} ({entry.Entity.Id}) {found.Reason}." });
            }
        }

        foreach (EntityEntry<User> entry in context.ChangeTracker.Entries<User>())
        {
            if (UserEvent(entry) is { } found)
            {
                events.Add(new AccessEvent { Kind = found.Kind, UserId = entry.Entity.Id, UserName = entry.Entity.Name, Reason = $"User {entry.Entity.Name} {found.Reason}." });
            }
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        foreach (AccessEvent access in events)
        {
            access.At = now;
            context.Set<AccessEvent>().Add(access);
        }
    }

    private static (AccessEventKind Kind, string Reason)? DeviceEvent(EntityEntry<Device> entry)
    {
        if (entry.State == EntityState.Deleted)
        {
            return (AccessEventKind.DeviceRemoved, "was deleted");
        }

        if (entry.State != EntityState.Modified)
        {
            return null;
        }

        var wasEnrolment = entry.Property(d => d.EnrolmentState).OriginalValue;
        if (entry.Entity.EnrolmentState == EnrolmentState.Retired && wasEnrolment != EnrolmentState.Retired)
        {
            return (AccessEventKind.DeviceRetired, "was retired");
        }

        var wasCompliance = entry.Property(d => d.ComplianceState).OriginalValue;
        return entry.Entity.ComplianceState == ComplianceState.NonCompliant && wasCompliance != ComplianceState.NonCompliant
            ? (AccessEventKind.DeviceNonCompliant, "is no longer compliant: " + string.Join(" ", entry.Entity.ComplianceReasons))
            : null;
    }

    private static (AccessEventKind Kind, string Reason)? UserEvent(EntityEntry<User> entry)
    {
        if (entry.State == EntityState.Deleted)
        {
            return (AccessEventKind.UserRemoved, "was deleted");
        }

        if (entry.State != EntityState.Modified)
        {
            return null;
        }

        if (!entry.Entity.Enabled && entry.Property(u => u.Enabled).OriginalValue)
        {
            return (AccessEventKind.UserDisabled, "was disabled");
        }

        List<Guid> before = entry.Property(u => u.GroupIds).OriginalValue ?? [];
        List<Guid> removed = before.FindAll(g => !entry.Entity.GroupIds.Contains(g));
        return removed.Count > 0 ? (AccessEventKind.UserGroupsChanged, $"was removed from {removed.Count} group(s)") : null;
    }
}
