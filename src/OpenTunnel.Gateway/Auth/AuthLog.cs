using Microsoft.Extensions.Logging;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Log lines of the authentication plugin (event ids 3100-3199). The validator logs what happens to
/// the signing keys; the outcome of each sign-in is logged by the caller, which knows the client's
/// address, through <see cref="Outcome"/> (3100 accepted, 3101 refused: one line per sign-in).
/// No line ever contains a token.
/// </summary>
public static partial class AuthLog
{
    /// <summary>Logs one sign-in outcome: 3100 when accepted, 3101 (naming the check) when refused.</summary>
    public static void Outcome(ILogger logger, string clientAddress, TokenValidationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Succeeded)
        {
            TokenAccepted(logger, clientAddress, outcome.UserName, outcome.DeviceId, outcome.ExpiresAt);
        }
        else
        {
            TokenRefused(logger, clientAddress, outcome.Refusal, outcome.Detail);
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information,
        Message = "Access token from {ClientAddress} accepted: user {UserName}, device {DeviceId}, expires {ExpiresAt:u}")]
    public static partial void TokenAccepted(ILogger logger, string clientAddress, string? userName, string? deviceId, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
        Message = "Access token from {ClientAddress} refused ({Refusal}): {Detail}")]
    public static partial void TokenRefused(ILogger logger, string clientAddress, TokenRefusal refusal, string detail);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information,
        Message = "Loaded {KeyCount} token signing keys from {Source}")]
    internal static partial void SigningKeysLoaded(ILogger logger, int keyCount, string source);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Error,
        Message = "Token signing keys unavailable from {Source}: {Reason}")]
    internal static partial void SigningKeysUnavailable(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information,
        Message = "A token names key {KeyId}, which {Source} does not hold; fetching the keys again")]
    internal static partial void SigningKeysRefreshing(ILogger logger, string keyId, string source);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Warning,
        Message = "A token names key {KeyId}, which {Source} does not hold; the keys were fetched less than {MinimumInterval} ago, so not again")]
    internal static partial void SigningKeysRefreshSuppressed(ILogger logger, string keyId, string source, TimeSpan minimumInterval);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Error,
        Message = "JWKS file {Path} was changed but cannot be used, keeping the {KeyCount} keys read before: {Reason}")]
    internal static partial void JwksFileRejected(ILogger logger, string path, int keyCount, string reason);
}
