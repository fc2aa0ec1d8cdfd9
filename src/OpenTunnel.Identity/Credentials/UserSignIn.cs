using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OpenTunnel.Identity.Data;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Settings;

namespace OpenTunnel.Identity.Credentials;

/// <summary>The result of a sign-in: the user, or a message for the person signing in (which never says whether the name exists).</summary>
public sealed record SignInOutcome(DirectoryUser? User, string? Error)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// Checks a user name, password and (when the user has one) TOTP code, with the per-name and
/// per-address throttle. Every attempt is logged with its outcome and the check that refused it.
/// </summary>
public sealed partial class UserSignIn(
    IUserDirectory users, IdentityStore store, SignInThrottle throttle, TotpSeeds seeds, IdentityProviderOptions options, TimeProvider time, ILogger<UserSignIn> logger)
{
    public const string WrongCredentials = "The user name, password or one-time code is wrong.";

    public const string LocalAccountsOff = "Signing in with a user name and password is turned off here; sign in with one of the providers offered.";

    /// <summary>A hash that matches no password: an unknown name costs as much time as a known one.</summary>
    private static readonly string UnknownUserHash = new PasswordHasher<DirectoryUser>().HashPassword(null!, Guid.NewGuid().ToString());

    private static readonly PasswordHasher<DirectoryUser> Hasher = new();

    public static string HashPassword(DirectoryUser user, string password) => Hasher.HashPassword(user, password);

    public async Task<SignInOutcome> SignInAsync(string? userName, string? password, string? oneTimeCode, string clientAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password))
        {
            return new SignInOutcome(null, "Enter your user name and password.");
        }

        userName = userName.Trim();
        if (!options.LocalAccounts)
        {
            LogRefused(logger, userName, clientAddress, "local accounts are turned off (Identity:LocalAccounts)");
            return new SignInOutcome(null, LocalAccountsOff);
        }

        // Counted before the password is checked, atomically with the limit: parallel guesses each take a slot.
        if (throttle.TryReserve(userName, clientAddress) is { } wait)
        {
            LogThrottled(logger, userName, clientAddress, wait);
            return new SignInOutcome(null, $"Too many failed sign-ins. Try again in {Math.Ceiling(wait.TotalMinutes)} minute(s).");
        }

        DirectoryUser? user = await users.FindByNameAsync(userName, cancellationToken);
        UserCredential? credential = user is null ? null : await store.Credentials.FirstOrDefaultAsync(c => c.UserId == user.Id, cancellationToken);
        string? refusal = Check(user, credential, password, oneTimeCode, out long? usedStep);
        if (refusal is null && usedStep is { } step && !await ClaimStepAsync(user!.Id, step, cancellationToken))
        {
            // Another sign-in with this code (or a later one) got there first.
            refusal = ReusedCode;
        }

        if (refusal is not null)
        {
            LogRefused(logger, userName, clientAddress, refusal);
            return new SignInOutcome(null, refusal == Disabled ? "This account is disabled; ask an administrator." : WrongCredentials);
        }

        throttle.RecordSuccess(userName, clientAddress);
        LogSignedIn(logger, user!.Name, user.Id, clientAddress, usedStep is null ? "password" : "password and TOTP");
        return new SignInOutcome(user, null);
    }

    private const string Disabled = "the user is disabled";
    private const string ReusedCode = "wrong or already used one-time code";

    /// <summary>
    /// Records <paramref name="step"/> as the last TOTP step used, only when it is later than the
    /// stored one: a conditional update whose affected-row count says whether this sign-in won, so
    /// two parallel sign-ins with one code cannot both pass (the database serialises the updates).
    /// </summary>
    private async Task<bool> ClaimStepAsync(Guid userId, long step, CancellationToken cancellationToken) =>
        await store.Credentials
            .Where(c => c.UserId == userId && (c.TotpLastStep == null || c.TotpLastStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.TotpLastStep, step), cancellationToken) == 1;

    private string? Check(DirectoryUser? user, UserCredential? credential, string password, string? oneTimeCode, out long? usedStep)
    {
        usedStep = null;
        if (user is null || credential?.PasswordHash is null)
        {
            Hasher.VerifyHashedPassword(null!, UnknownUserHash, password);
            return user is null ? "no such user" : "the user has no password set";
        }

        if (Hasher.VerifyHashedPassword(user, credential.PasswordHash, password) == PasswordVerificationResult.Failed)
        {
            return "wrong password";
        }

        if (credential.TotpSecret is { } secret)
        {
            if (string.IsNullOrWhiteSpace(oneTimeCode))
            {
                return "the one-time code is missing (the user has TOTP on)";
            }

            usedStep = TotpCode.Verify(seeds.Reveal(secret), oneTimeCode.Trim(), time.GetUtcNow(), credential.TotpLastStep);
            if (usedStep is null)
            {
                return ReusedCode;
            }
        }

        return user.Enabled ? null : Disabled;
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "User {UserName} ({UserId}) signed in from {ClientAddress} with {Factors}.")]
    private static partial void LogSignedIn(ILogger logger, string userName, Guid userId, string clientAddress, string factors);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Sign-in of {UserName} from {ClientAddress} refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string userName, string clientAddress, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Sign-in of {UserName} from {ClientAddress} refused without checking: too many failures, retry after {Wait}.")]
    private static partial void LogThrottled(ILogger logger, string userName, string clientAddress, TimeSpan wait);
}
