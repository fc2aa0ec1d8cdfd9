using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.AdminConsole;

/// <summary>What every console page knows: the request, who is signed in, and whether the role may change things.</summary>
public abstract class ConsolePage : ComponentBase
{
    [CascadingParameter]
    public HttpContext Http { get; set; } = null!;

    /// <summary>Whether the signed-in role may change things; pages show no form that changes anything otherwise.</summary>
    protected bool CanWrite => Http.User.IsInRole(ManagementRoles.FullAdmin);

    /// <summary>"user:NAME", the audit log's actor for what this person changes.</summary>
    protected string Actor => AuditTrail.ActorOf(Http.User);

    protected CancellationToken Aborted => Http.RequestAborted;

    /// <summary>
    /// The ids a form posted under <paramref name="field"/> (one per ticked checkbox); a value that
    /// is no id is put in <paramref name="errors"/> at <paramref name="field"/> and left out.
    /// </summary>
    protected List<Guid> PostedIds(string field, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var ids = new List<Guid>();
        foreach (string? value in Http.Request.Form[field])
        {
            if (Guid.TryParse(value, out Guid id))
            {
                ids.Add(id);
            }
            else
            {
                errors.Add(field, $"'{value}' is not an id.");
            }
        }

        return ids;
    }

    public static string RoleOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsInRole(ManagementRoles.FullAdmin) ? ManagementRoles.FullAdmin : ManagementRoles.ReadOnly;
    }

    /// <summary>A UTC time as the console shows it everywhere.</summary>
    public static string Time(DateTime? at) =>
        at is { } value ? value.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "never";

    /// <summary>A byte count in B, KiB, MiB or GiB, as the sessions and the access log show it.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB"),
    };
}
