using System.Security.Claims;
using System.Text.Json;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Api;

/// <summary>
/// Adds one audit entry per change to the same unit of work as the change, so an entry exists
/// exactly when the change was stored.
/// </summary>
public static class AuditTrail
{
    public const string SystemActor = "system";

    /// <summary>The JSON of an object as the API shows it; the "before" and "after" of an entry.</summary>
    public static string Snapshot(object item) => JsonSerializer.Serialize(item, item.GetType(), ApiJson.Options);

    public static void Record(ManagementDbContext db, string actor, AuditAction action, object item, Guid id, string? before, string? after, DateTime at)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(item);
        db.AuditEntries.Add(new AuditEntry
        {
            At = at,
            Actor = actor,
            Action = action,
            EntityType = item.GetType().Name,
            EntityId = id,
            Before = before,
            After = after,
        });
    }

    /// <summary>"api-key:NAME" for a key, "user:NAME" for a token (name, preferred_username or sub).</summary>
    public static string ActorOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity?.Name is { Length: > 0 } name ? name : SystemActor;
    }
}
