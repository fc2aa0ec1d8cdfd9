using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Identity.Hosting;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Management.Profiles;

/// <summary>
/// <c>GET /api/v1/me/profiles</c>: a device asks for its user's VPN profiles with the user's token
/// for the management service (the embedded provider's, scope <c>opentunnel.device</c>, as device
/// enrolment), not with administrator credentials. Device-facing, so documented in docs/management.md
/// and docs/client.md rather than in the administration API's OpenAPI document.
/// </summary>
public static partial class ProfileDeliveryEndpoints
{
    public static IEndpointRouteBuilder MapProfileDelivery(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(DeviceProfileRoutes.Path, ListAsync).RequireAuthorization(IdentityHosting.DeviceEnrolmentPolicy).ExcludeFromDescription().WithName("ListMyProfiles");
        return app;
    }

    private static async Task<IResult> ListAsync(
        ClaimsPrincipal principal, HttpContext http, ManagementDbContext db, ILoggerFactory loggers, CancellationToken ct)
    {
        ILogger logger = loggers.CreateLogger(typeof(ProfileDeliveryEndpoints));
        Domain.Platform? platform = null;
        if (http.Request.Query[DeviceProfileRoutes.PlatformParameter].ToString() is { Length: > 0 } text)
        {
            if (!Enum.TryParse(text, ignoreCase: true, out Domain.Platform parsed) || !Enum.IsDefined(parsed) || char.IsDigit(text[0]))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown platform.",
                    detail: $"platform '{text}' is not one of {string.Join(", ", Enum.GetNames<Domain.Platform>())}.");
            }

            platform = parsed;
        }

        User? user = Guid.TryParse(principal.GetClaim(Claims.Subject), out Guid userId)
            ? await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct)
            : null;
        if (user is null || !user.Enabled)
        {
            string why = user is null ? "the token names no user of this deployment" : $"user {user.Name} is disabled";
            LogRefused(logger, principal.GetClaim(Claims.Subject), why);
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No profiles for this token.", detail: $"Profiles are delivered to enabled users: {why}.");
        }

        List<VpnProfile> profiles = ProfileDelivery.AssignedTo(user, await db.VpnProfiles.AsNoTracking().ToListAsync(ct), platform);
        List<Guid> siteIds = [.. profiles.Select(p => p.SiteId).Distinct()];
        Dictionary<Guid, Site> sites = await db.Sites.AsNoTracking().Where(s => siteIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, ct);
        List<Guid> configurationIds = [.. sites.Values.Select(s => s.ServerConfigurationId).Distinct()];
        Dictionary<Guid, ServerConfiguration> configurations = await db.ServerConfigurations.AsNoTracking()
            .Where(c => configurationIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        DeviceProfileList list = ProfileDelivery.Describe(profiles, sites, configurations);
        string etag = ProfileDelivery.ETagOf(list);

        // Devices poll this; a proxy must not serve one user's list to another, and must ask again each time.
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "private, no-cache";
        bool notModified = ProfileDelivery.NotModified(http.Request.Headers.IfNoneMatch, etag);
        LogDelivered(logger, user.Name, list.Profiles.Count, etag, notModified);
        return notModified ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Ok(list);
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "Profiles of {UserName}: {Count}, {ETag} (not modified: {NotModified}).")]
    private static partial void LogDelivered(ILogger logger, string userName, int count, string etag, bool notModified);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Refused the profiles of subject {Subject}: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string? subject, string reason);
}
