using System.Globalization;
using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Contracts;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Tokens;

/// <summary>Builds the identities OpenIddict turns into tokens, and says which token each claim goes to.</summary>
public static class TokenIdentities
{
    /// <summary>The user's identity: <c>sub</c> (the user id), user name, display name, groups (names) and <c>auth_time</c>.</summary>
    public static ClaimsIdentity ForUser(DirectoryUser user, DateTimeOffset authenticatedAt)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id.ToString());
        identity.SetClaim(Claims.PreferredUsername, user.Name);
        identity.SetClaim(Claims.Name, user.DisplayName);
        identity.SetClaims(IdentityClaims.Groups, [.. user.Groups]);
        identity.AddClaim(new Claim(IdentityClaims.AuthTime, authenticatedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        return identity;
    }

    /// <summary>
    /// The upstream provider the user signed in through (claim <c>idp</c>), kept in the refresh
    /// token so that each refresh is checked there; nothing for a local sign-in.
    /// </summary>
    public static void SetUpstream(ClaimsIdentity identity, string? upstream)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (upstream is not null)
        {
            identity.SetClaim(IdentityClaims.Upstream, upstream);
        }
    }

    /// <summary>The device and site claims of a gateway token.</summary>
    public static void AddAccess(ClaimsIdentity identity, DirectoryDevice? device, Guid? siteId)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (device is not null)
        {
            identity.SetClaim(IdentityClaims.DeviceId, device.Id.ToString());
        }

        identity.SetClaim(IdentityClaims.Compliance, IdentityClaims.ComplianceValue(device));
        if (siteId is { } site)
        {
            identity.SetClaim(IdentityClaims.Site, site.ToString());
        }
    }

    /// <summary>When the user signed in, from <c>auth_time</c>; null when the principal carries none.</summary>
    public static DateTimeOffset? AuthenticatedAt(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return long.TryParse(principal.GetClaim(IdentityClaims.AuthTime), NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }

    /// <summary>
    /// Every claim goes to the access token; the user's name and <c>auth_time</c> also to the
    /// identity token when <c>openid</c> was granted (with <c>profile</c> for the names).
    /// </summary>
    public static void SetDestinations(ClaimsIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Subject or IdentityClaims.AuthTime => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Name or Claims.PreferredUsername when claim.Subject!.HasScope(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
    }
}
