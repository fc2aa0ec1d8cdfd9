using Microsoft.Extensions.Logging;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Log lines of the authentication plugin (event ids 3110-3199): what happens to the signing keys.
/// The outcome of each sign-in is logged once by the caller, which knows the client's address (the
/// gateway's sign-in service: event ids 200 and 201, with the refusal's check name and detail).
/// No line ever contains a token.
/// </summary>
internal static partial class AuthLog
{
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

    [LoggerMessage(EventId = 3115, Level = LogLevel.Warning,
        Message = "Using the {KeyCount} token signing keys saved in {Path}, fetched {Age} ago (at {FetchedAt:O}), since {Source} cannot be reached; fetching again in {RetryDelay}")]
    internal static partial void SigningKeysFromSavedFile(ILogger logger, int keyCount, string path, string age, DateTimeOffset fetchedAt, string source, TimeSpan retryDelay);

    [LoggerMessage(EventId = 3116, Level = LogLevel.Warning,
        Message = "Cannot save the token signing keys to {Path} ({Reason}): a restart while the issuer cannot be reached would find no keys")]
    internal static partial void SigningKeysNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3117, Level = LogLevel.Information,
        Message = "Token signing keys saved to {Path} again")]
    internal static partial void SigningKeysSavedAgain(ILogger logger, string path);
}
