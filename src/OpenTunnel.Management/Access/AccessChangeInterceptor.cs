using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OpenTunnel.Identity.Access;
using OpenTunnel.Identity.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Access;

/// <summary>
/// Records a continuous-access-evaluation event in the same save as the change that withdraws
/// access, whichever API made it: a device turning non-compliant (a report, a device edit, a
/// changed compliance policy), retired or deleted; a user disabled, removed from a group, or
/// deleted. After the save, <see cref="AccessEventDelivery"/> is signalled to tell the gateways.
/// </summary>
internal sealed class AccessChangeInterceptor(AccessEventDelivery delivery, TimeProvider clock) : SaveChangesInterceptor
{
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        if (eventData.Context is { } context)
        {
            Record(context);
        }

        return base.SavingChangesAsync(eventData, result, cancellationToken);
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
