using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Contracts;

namespace OpenTunnel.Identity.Credentials;

/// <summary>The TOTP secret of a user, shown once when the second factor is turned on.</summary>
public sealed record TotpEnrolment(string Secret, string ProvisioningUri);

/// <summary>
/// What administrators do to a user's credentials through the management API: set a password,
/// turn TOTP on or off, and revoke every session (refresh tokens and authorizations are revoked
/// at once, and an access event tells the gateways to end the user's tunnels). A change of a
/// credential the user could already sign in with also ends every session: whoever knew the old
/// password or seed must not stay inside through a refresh token, an access token or a tunnel.
/// </summary>
public sealed partial class CredentialAdministration(
    IdentityStore store,
    TotpSeeds seeds,
    IOpenIddictTokenManager tokens,
    IOpenIddictAuthorizationManager authorizations,
    TimeProvider time,
    ILogger<CredentialAdministration> logger)
{
    public const int MinimumPasswordLength = 10;
    public const int MaximumPasswordLength = 256;
    public const string TotpIssuer = "OpenTunnel";

    /// <summary>Why the password is not acceptable, or null.</summary>
    public static string? CheckPassword(string? password) => password switch
    {
        null or "" => "is required.",
        { Length: < MinimumPasswordLength } => $"must be at least {MinimumPasswordLength} characters long.",
        { Length: > MaximumPasswordLength } => $"must be at most {MaximumPasswordLength} characters long.",
        _ when string.IsNullOrWhiteSpace(password) => "must not be only spaces.",
        _ => null,
    };

    /// <summary>Stores the password's hash (the caller checked it with <see cref="CheckPassword"/>); saved with the caller's unit of work.</summary>
    public async Task SetPasswordAsync(DirectoryUser user, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        UserCredential credential = await GetOrAddAsync(user.Id, cancellationToken);
        WithdrawSessions(credential, user, "password was set");
        credential.PasswordHash = UserSignIn.HashPassword(user, password);
        LogPasswordSet(logger, user.Name);
    }

    public async Task<TotpEnrolment> EnableTotpAsync(DirectoryUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        UserCredential credential = await GetOrAddAsync(user.Id, cancellationToken);
        WithdrawSessions(credential, user, "TOTP second factor was turned on (new seed)");
        string secret = TotpCode.NewSecret();
        credential.TotpSecret = seeds.Protect(secret);
        credential.TotpLastStep = null;
        LogTotp(logger, user.Name, "on");
        return new TotpEnrolment(secret, TotpCode.ProvisioningUri(TotpIssuer, user.Name, secret));
    }

    public async Task DisableTotpAsync(DirectoryUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        UserCredential credential = await GetOrAddAsync(user.Id, cancellationToken);
        WithdrawSessions(credential, user, "TOTP second factor was turned off");
        credential.TotpSecret = null;
        credential.TotpLastStep = null;
        LogTotp(logger, user.Name, "off");
    }

    /// <summary>
    /// Ends every session of the user: tokens issued before now are refused at refresh, stored
    /// tokens and authorizations are revoked, and an access event is recorded for the gateways.
    /// Saves (the revocations cannot join the caller's unit of work: OpenIddict saves its own).
    /// </summary>
    public async Task<long> RevokeSessionsAsync(DirectoryUser user, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        DateTime now = time.GetUtcNow().UtcDateTime;

        // Revoked before the access event is saved: the event's delivery revokes by subject too,
        // and would otherwise take these tokens first and leave this count at 0.
        long revokedTokens = await tokens.RevokeBySubjectAsync(user.Id.ToString(), cancellationToken);
        long revokedAuthorizations = await authorizations.RevokeBySubjectAsync(user.Id.ToString(), cancellationToken);
        UserCredential credential = await GetOrAddAsync(user.Id, cancellationToken);
        Withdraw(credential, user, AccessEventKind.SessionsRevoked, $"{actor} revoked the sessions of {user.Name}", now);
        await store.Context.SaveChangesAsync(cancellationToken);
        LogRevoked(logger, user.Name, actor, revokedTokens, revokedAuthorizations);
        return revokedTokens;
    }

    /// <summary>
    /// Before a credential changes: when the user could sign in with the old one (a password was
    /// set), tokens authenticated until now are refused at refresh, and an access event (saved with
    /// the caller's unit of work) has the delivery revoke the user's tokens and tell every gateway to
    /// end the user's tunnels and refuse the access tokens issued before now.
    /// </summary>
    private void WithdrawSessions(UserCredential credential, DirectoryUser user, string change)
    {
        if (credential.PasswordHash is null)
        {
            // Nobody could sign in as this user yet (a new user's first password): nothing to end.
            return;
        }

        Withdraw(credential, user, AccessEventKind.CredentialsChanged, $"The {change} for {user.Name}; every session of the user ends.", time.GetUtcNow().UtcDateTime);
    }

    /// <summary>Refuses the tokens authenticated until <paramref name="now"/> at refresh and records the access event; saved by the caller.</summary>
    private void Withdraw(UserCredential credential, DirectoryUser user, AccessEventKind kind, string reason, DateTime now)
    {
        credential.SessionsRevokedAt = now;
        store.AccessEvents.Add(new AccessEvent { At = now, Kind = kind, UserId = user.Id, UserName = user.Name, Reason = reason });
    }

    private async Task<UserCredential> GetOrAddAsync(Guid userId, CancellationToken cancellationToken)
    {
        UserCredential? credential = await store.Credentials.FirstOrDefaultAsync(c => c.UserId == userId, cancellationToken);
        if (credential is null)
        {
            credential = new UserCredential { UserId = userId };
            store.Credentials.Add(credential);
        }

        credential.UpdatedAt = time.GetUtcNow().UtcDateTime;
        return credential;
    }

    [LoggerMessage(EventId = 6110, Level = LogLevel.Information, Message = "Password of {UserName} set.")]
    private static partial void LogPasswordSet(ILogger logger, string userName);

    [LoggerMessage(EventId = 6111, Level = LogLevel.Information, Message = "TOTP second factor of {UserName} turned {State}.")]
    private static partial void LogTotp(ILogger logger, string userName, string state);

    [LoggerMessage(EventId = 6112, Level = LogLevel.Warning, Message = "Sessions of {UserName} revoked by {Actor}: {Tokens} token(s) and {Authorizations} authorization(s).")]
    private static partial void LogRevoked(ILogger logger, string userName, string actor, long tokens, long authorizations);
}
