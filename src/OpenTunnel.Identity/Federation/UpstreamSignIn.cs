using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Client;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Credentials;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Identity.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OpenTunnel.Identity.Federation;

/// <summary>
/// Federation with upstream OpenID Connect providers. After the upstream's authorization code flow
/// (OpenIddict's client checked the state, the PKCE verifier, the identity token and its issuer),
/// <see cref="CompleteAsync"/> matches the user by upstream issuer and subject (never by name) or
/// creates it at the first sign-in, sets its groups to the mapped upstream groups, keeps the
/// upstream refresh token and hands the user to the sign-in page through a short-lived cookie.
/// <see cref="CheckAtRefreshAsync"/> redeems the upstream refresh token whenever the user's own
/// refresh token is: a user the upstream refuses (disabled, deleted, consent withdrawn) loses
/// every session here.
/// </summary>
public sealed partial class UpstreamSignIn(
    IUserDirectory users,
    IdentityStore store,
    IdentityProviderOptions options,
    OpenIddictClientService client,
    CredentialAdministration credentials,
    IDataProtectionProvider protection,
    TimeProvider time,
    ILogger<UpstreamSignIn> logger)
{
    /// <summary>The cookie scheme that carries a user signed in upstream from the callback back to the page that asked (5 minutes, read once).</summary>
    public const string CookieScheme = "OpenTunnel.Identity.Upstream";

    private readonly IDataProtector _refreshTokens = protection.CreateProtector("OpenTunnel.Identity.UpstreamRefreshToken.v1");

    public UpstreamProviderOptions? Find(string? name) =>
        options.Upstreams.Find(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Matches or creates the user of <paramref name="upstreamUser"/> (the upstream's merged identity and userinfo claims); the user or the message for the person.</summary>
    public async Task<SignInOutcome> CompleteAsync(UpstreamProviderOptions upstream, ClaimsPrincipal upstreamUser, string? refreshToken, string clientAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(upstreamUser);
        string? subject = upstreamUser.GetClaim(Claims.Subject);
        string? name = upstreamUser.GetClaim(upstream.UserNameClaim);
        if (string.IsNullOrEmpty(subject) || string.IsNullOrWhiteSpace(name))
        {
            string missing = string.IsNullOrEmpty(subject) ? "sub" : upstream.UserNameClaim;
            return Refused(upstream, name ?? subject ?? "(unknown)", clientAddress, $"the upstream gave no '{missing}' claim (Identity:Upstreams {upstream.Name} UserNameClaim names the claim that names the user)");
        }

        var mapped = new SortedSet<string>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (string group in upstreamUser.GetClaims(upstream.GroupsClaim))
        {
            if (upstream.GroupMapping.TryGetValue(group, out string? ours))
            {
                mapped.Add(ours);
            }
            else
            {
                ignored.Add(group);
            }
        }

        DateTime now = time.GetUtcNow().UtcDateTime;
        FederatedLogin? login = await store.FederatedLogins.FirstOrDefaultAsync(l => l.Issuer == upstream.Issuer && l.Subject == subject, cancellationToken);
        string displayName = upstreamUser.GetClaim(Claims.Name) is { Length: > 0 } shown ? shown : name;
        FederatedProvisioning provisioned = await users.ProvisionFederatedAsync(
            new FederatedAccount(login?.UserId, upstream.Name, name.Trim(), displayName, [.. mapped]), cancellationToken);
        if (provisioned.User is not { } user)
        {
            return Refused(upstream, name, clientAddress, provisioned.Error ?? "the user could not be created");
        }

        if (!user.Enabled)
        {
            return Refused(upstream, name, clientAddress, "the user is disabled here", "This account is disabled; ask an administrator.");
        }

        if (login is null)
        {
            login = new FederatedLogin { Id = Guid.NewGuid(), UserId = user.Id, Issuer = upstream.Issuer, Subject = subject };
            store.FederatedLogins.Add(login);
        }

        // The matched user, or the new one when the user the account signed in as was deleted here.
        login.UserId = user.Id;
        login.RefreshToken = refreshToken is null ? null : _refreshTokens.Protect(refreshToken);
        login.SignedInAt = now;
        login.UpdatedAt = now;
        await store.Context.SaveChangesAsync(cancellationToken);
        if (ignored.Count > 0 || provisioned.UnknownGroups.Count > 0)
        {
            LogGroupsIgnored(logger, user.Name, upstream.Name, string.Join(", ", ignored), string.Join(", ", provisioned.UnknownGroups));
        }

        LogSignedIn(logger, user.Name, user.Id, upstream.Name, subject, clientAddress, string.Join(", ", user.Groups));
        return new SignInOutcome(user, null);
    }

    /// <summary>Hands <paramref name="user"/> to the page the sign-in started from (the cookie scheme <see cref="CookieScheme"/>).</summary>
    public static Task HandOverAsync(HttpContext http, DirectoryUser user, UpstreamProviderOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(upstream);
        var identity = new ClaimsIdentity(CookieScheme);
        identity.AddClaim(new Claim(Claims.Subject, user.Id.ToString()));
        identity.AddClaim(new Claim(IdentityClaims.Upstream, upstream.Name));
        return http.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>The user an upstream sign-in handed over, once (the cookie is removed), with the upstream's name; null when none is waiting or the user is gone or disabled.</summary>
    public async Task<(DirectoryUser User, string Upstream)?> TakeOverAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        AuthenticateResult handed = await http.AuthenticateAsync(CookieScheme);
        if (handed.Principal is not { } principal)
        {
            return null;
        }

        await http.SignOutAsync(CookieScheme);
        return Guid.TryParse(principal.GetClaim(Claims.Subject), out Guid id)
            && principal.GetClaim(IdentityClaims.Upstream) is { } upstream
            && await users.FindByIdAsync(id, http.RequestAborted) is { Enabled: true } user
            ? (user, upstream)
            : null;
    }

    /// <summary>
    /// At a refresh of <paramref name="user"/>'s tokens granted through <paramref name="upstreamName"/>:
    /// redeems the stored upstream refresh token (keeping the one it rolls over to). Null when the
    /// upstream still accepts the user; otherwise the refusal, after every session of the user
    /// ended here (logged and audited).
    /// </summary>
    public async Task<string?> CheckAtRefreshAsync(DirectoryUser user, string upstreamName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (Find(upstreamName) is not { } upstream)
        {
            return await WithdrawAsync(user, upstreamName, $"the upstream {upstreamName} the user signed in through is no longer configured", cancellationToken);
        }

        FederatedLogin? login = await store.FederatedLogins.FirstOrDefaultAsync(l => l.UserId == user.Id && l.Issuer == upstream.Issuer, cancellationToken);
        if (login?.RefreshToken is not { } stored)
        {
            // Nothing to ask the upstream with: no refresh here either, the user signs in again.
            LogNoUpstreamRefreshToken(logger, user.Name, upstream.Name);
            return $"{upstream.Name} gave no refresh token at sign-in (ask for its offline_access scope), so the session cannot be extended; sign in again.";
        }

        string? rolled;
        try
        {
            OpenIddictClientModels.RefreshTokenAuthenticationResult result = await client.AuthenticateWithRefreshTokenAsync(new()
            {
                ProviderName = upstream.Name,
                RefreshToken = _refreshTokens.Unprotect(stored),
                CancellationToken = cancellationToken,
            });
            rolled = result.RefreshToken;
        }
        catch (OpenIddictExceptions.ProtocolException e)
        {
            return await WithdrawAsync(user, upstream.Name, $"{upstream.Name} refused the user's refresh: {e.Error} {e.ErrorDescription}".TrimEnd(), cancellationToken);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return await WithdrawAsync(user, upstream.Name, "the stored upstream refresh token cannot be read with this key ring; sign in again", cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
        {
            // Not a refusal of the user: the upstream could not be asked. Refused this time, the sessions stay.
            LogUnreachable(logger, user.Name, upstream.Name, e.Message);
            return $"{upstream.Name} could not be reached to check the user; try again later.";
        }

        if (rolled is not null)
        {
            login.RefreshToken = _refreshTokens.Protect(rolled);
            login.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await store.Context.SaveChangesAsync(cancellationToken);
        }

        return null;
    }

    private async Task<string> WithdrawAsync(DirectoryUser user, string upstream, string reason, CancellationToken cancellationToken)
    {
        LogRefusedUpstream(logger, user.Name, user.Id, upstream, reason);
        users.RecordAudit(user.Id, $"upstream:{upstream}", $"sessions ended at refresh: {reason}");
        await credentials.RevokeSessionsAsync(user, $"upstream:{upstream}", cancellationToken);
        return $"Every session of {user.Name} ended: {reason}.";
    }

    private SignInOutcome Refused(UpstreamProviderOptions upstream, string name, string clientAddress, string reason, string? shown = null)
    {
        LogRefused(logger, name, upstream.Name, clientAddress, reason);
        return new SignInOutcome(null, shown ?? $"Signing in through {upstream.Name} failed: {reason}.");
    }

    [LoggerMessage(EventId = 6120, Level = LogLevel.Information, Message = "User {UserName} ({UserId}) signed in through upstream {Upstream} (subject {Subject}) from {ClientAddress}; groups {Groups}.")]
    private static partial void LogSignedIn(ILogger logger, string userName, Guid userId, string upstream, string subject, string clientAddress, string groups);

    [LoggerMessage(EventId = 6121, Level = LogLevel.Warning, Message = "Sign-in of {UserName} through upstream {Upstream} from {ClientAddress} refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string userName, string upstream, string clientAddress, string reason);

    [LoggerMessage(EventId = 6122, Level = LogLevel.Information, Message = "Upstream groups of {UserName} from {Upstream} ignored: not in the mapping [{Unmapped}]; mapped to no group of ours [{Unknown}].")]
    private static partial void LogGroupsIgnored(ILogger logger, string userName, string upstream, string unmapped, string unknown);

    [LoggerMessage(EventId = 6123, Level = LogLevel.Warning, Message = "Refresh of {UserName} ({UserId}) refused by upstream {Upstream}; every session of the user ended: {Reason}.")]
    private static partial void LogRefusedUpstream(ILogger logger, string userName, Guid userId, string upstream, string reason);

    [LoggerMessage(EventId = 6124, Level = LogLevel.Warning, Message = "Refresh of {UserName} refused: upstream {Upstream} could not be reached ({Problem}); the sessions stay.")]
    private static partial void LogUnreachable(ILogger logger, string userName, string upstream, string problem);

    [LoggerMessage(EventId = 6125, Level = LogLevel.Information, Message = "Refresh of {UserName} refused: upstream {Upstream} gave no refresh token at sign-in.")]
    private static partial void LogNoUpstreamRefreshToken(ILogger logger, string userName, string upstream);
}
