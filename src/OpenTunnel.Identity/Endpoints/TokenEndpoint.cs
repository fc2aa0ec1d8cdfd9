using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Devices;
using OpenTunnel.Identity.Federation;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Contracts.Devices;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Endpoints;

/// <summary>
/// The token endpoint's decisions after OpenIddict has checked the request (client, code, PKCE
/// verifier, device code, refresh token): the user must still exist and be enabled, and their
/// sessions must not have been revoked since they signed in (and, for a user who signed in through
/// an upstream provider, the upstream must accept a refresh too); a token for the gateways is issued
/// only when conditional access allows the user, on the device whose key signed the
/// <c>device_assertion</c>, for the site. Every refusal says which condition failed.
/// </summary>
public sealed partial class TokenEndpoint(
    IUserDirectory users,
    IConditionalAccess access,
    DeviceAssertionValidator assertions,
    IdentityStore store,
    IOpenIddictApplicationManager applications,
    IssuerUrls urls,
    UpstreamSignIn upstreams,
    IOptions<IdentityProviderOptions> options,
    ILogger<TokenEndpoint> logger)
{
    public const string Path = "/connect/token";

    public async Task<IResult> ExchangeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        OpenIddictRequest request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request is missing.");
        if (request.IsClientCredentialsGrantType())
        {
            return await ClientCredentialsAsync(request, http.RequestAborted);
        }

        AuthenticateResult authenticated = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (authenticated.Principal is not { } granted)
        {
            return Refuse(request, Errors.InvalidGrant, "The grant is no longer valid.");
        }

        return await UserGrantAsync(http, request, granted);
    }

    private async Task<IResult> UserGrantAsync(HttpContext http, OpenIddictRequest request, ClaimsPrincipal granted)
    {
        CancellationToken ct = http.RequestAborted;
        IdentityProviderOptions settings = options.Value;
        DirectoryUser? user = Guid.TryParse(granted.GetClaim(Claims.Subject), out Guid userId) ? await users.FindByIdAsync(userId, ct) : null;
        if (user is null)
        {
            return Refuse(request, Errors.InvalidGrant, "The user no longer exists.");
        }

        if (!user.Enabled)
        {
            return Refuse(request, Errors.AccessDenied, $"User {user.Name} is disabled.", user.Name);
        }

        DateTimeOffset authenticatedAt = TokenIdentities.AuthenticatedAt(granted) ?? DateTimeOffset.MinValue;
        UserCredential? credential = await store.Credentials.AsNoTracking().FirstOrDefaultAsync(c => c.UserId == user.Id, ct);
        if (credential?.SessionsRevokedAt is { } revoked && authenticatedAt <= new DateTimeOffset(revoked, TimeSpan.Zero))
        {
            return Refuse(request, Errors.InvalidGrant, $"An administrator revoked the sessions of {user.Name} at {revoked:u}; sign in again.");
        }

        // A user who signed in upstream keeps access only while the upstream accepts their refresh too.
        string? upstream = granted.GetClaim(IdentityClaims.Upstream);
        if (upstream is not null && request.IsRefreshTokenGrantType() && await upstreams.CheckAtRefreshAsync(user, upstream, ct) is { } refusal)
        {
            return Refuse(request, Errors.InvalidGrant, refusal, user.Name);
        }

        // A refresh may narrow the scopes of the access token, never widen them, and the new refresh
        // token keeps the scopes granted at sign-in (RFC 6749 section 6): OpenIddict narrows the
        // access token's scopes to the request's, the identity keeps the granted ones.
        ImmutableArray<string> scopes = request.IsRefreshTokenGrantType() && request.GetScopes().Length > 0
            ? request.GetScopes()
            : granted.GetScopes();
        ClaimsIdentity identity = TokenIdentities.ForUser(user, authenticatedAt);
        TokenIdentities.SetUpstream(identity, upstream);
        identity.SetScopes(granted.GetScopes());
        var resources = new List<string>();
        if (scopes.Contains(IdentityScopes.Gateway))
        {
            (AccessVerdict verdict, DirectoryDevice? device) = await DecideAccessAsync(http, request, user, ct);
            if (!verdict.Allowed)
            {
                return Refuse(request, Errors.AccessDenied, verdict.Reason, user.Name);
            }

            TokenIdentities.AddAccess(identity, device, verdict.SiteId);
            resources.Add(settings.GatewayAudience);
        }

        // Never both audiences in one token: a gateway must not receive a token that opens the
        // management service's device endpoints. A sign-in granted both scopes gets each token by
        // narrowing a refresh to one of them.
        if (scopes.Contains(IdentityScopes.Device) && !scopes.Contains(IdentityScopes.Gateway))
        {
            resources.Add(settings.ManagementAudience);
        }

        identity.SetResources(resources);
        TokenIdentities.SetDestinations(identity);
        LogIssued(logger, user.Name, request.ClientId, request.GrantType, string.Join(' ', scopes), identity.GetClaim(IdentityClaims.DeviceId));
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private async Task<(AccessVerdict Verdict, DirectoryDevice? Device)> DecideAccessAsync(HttpContext http, OpenIddictRequest request, DirectoryUser user, CancellationToken ct)
    {
        DirectoryDevice? device = null;
        if ((string?)request[DeviceAssertions.TokenParameter] is { Length: > 0 } assertion)
        {
            DeviceAssertionResult proof = await assertions.ValidateAsync(assertion, urls.Of(http, Path), ct);
            if (proof.Device is null)
            {
                return (AccessVerdict.Deny($"Device check failed: {proof.Error}."), null);
            }

            device = proof.Device;
            if (device.OwnerId != user.Id)
            {
                return (AccessVerdict.Deny($"Device {device.Id} is enrolled to another user, not {user.Name}."), null);
            }
        }

        AccessVerdict verdict = await access.EvaluateAsync(new AccessRequest(user, device, (string?)request[IdentityClaims.SiteParameter]), ct);
        if (!verdict.Allowed && device is null)
        {
            verdict = verdict with { Reason = $"{verdict.Reason} No device was presented (send a {DeviceAssertions.TokenParameter} signed by the enrolled device key)." };
        }

        return (verdict, device);
    }

    private async Task<IResult> ClientCredentialsAsync(OpenIddictRequest request, CancellationToken ct)
    {
        object? application = await applications.FindByClientIdAsync(request.ClientId!, ct);
        if (application is null)
        {
            return Refuse(request, Errors.InvalidClient, "The client is not registered.");
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, request.ClientId);
        identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application, ct) ?? request.ClientId);
        ImmutableDictionary<string, System.Text.Json.JsonElement> properties = await applications.GetPropertiesAsync(application, ct);
        if (properties.TryGetValue(AutomationClients.RoleProperty, out System.Text.Json.JsonElement role))
        {
            identity.SetClaim(IdentityClaims.Role, role.GetString());
        }

        identity.SetScopes(request.GetScopes());
        identity.SetResources(options.Value.ManagementAudience);
        TokenIdentities.SetDestinations(identity);
        LogIssued(logger, request.ClientId!, request.ClientId, request.GrantType, string.Join(' ', request.GetScopes()), null);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private IResult Refuse(OpenIddictRequest request, string error, string description, string? userName = null)
    {
        LogRefused(logger, userName ?? "(unknown)", request.ClientId, request.GrantType, error, description);
        return Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    [LoggerMessage(EventId = 6300, Level = LogLevel.Information, Message = "Issued tokens to {UserName} (client {ClientId}, grant {GrantType}, scopes {Scopes}, device {DeviceId}).")]
    private static partial void LogIssued(ILogger logger, string userName, string? clientId, string? grantType, string scopes, string? deviceId);

    [LoggerMessage(EventId = 6301, Level = LogLevel.Warning, Message = "Token request of {UserName} (client {ClientId}, grant {GrantType}) refused with {Error}: {Description}")]
    private static partial void LogRefused(ILogger logger, string userName, string? clientId, string? grantType, string error, string description);
}
