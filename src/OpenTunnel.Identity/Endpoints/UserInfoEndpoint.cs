using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// OIDC user-info (OpenID Connect Core section 5.3): the user's current name, display name and
/// groups for the bearer of one of this provider's access tokens, read from the directory (not
/// the token), so a change shows at once.
/// </summary>
public sealed class UserInfoEndpoint(IUserDirectory users)
{
    public const string Path = "/connect/userinfo";

    public async Task<IResult> GetAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        AuthenticateResult authenticated = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        DirectoryUser? user = authenticated.Principal is { } principal && Guid.TryParse(principal.GetClaim(Claims.Subject), out Guid id)
            ? await users.FindByIdAsync(id, http.RequestAborted)
            : null;
        if (user is null || !user.Enabled)
        {
            return Results.Challenge(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = user is null ? "The token's user no longer exists." : "The user is disabled.",
                }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        return Results.Json(new Dictionary<string, object>
        {
            [Claims.Subject] = user.Id.ToString(),
            [Claims.PreferredUsername] = user.Name,
            [Claims.Name] = user.DisplayName,
            [IdentityClaims.Groups] = user.Groups,
        });
    }
}
