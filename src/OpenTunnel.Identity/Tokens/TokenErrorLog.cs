using Microsoft.Extensions.Logging;
using OpenIddict.Server;

namespace OpenTunnel.Identity.Tokens;

/// <summary>
/// Logs every refused token request with OpenIddict's error and description: a replayed code, a
/// PKCE verifier that does not match, an expired device code, a revoked refresh token all end here.
/// (A device code still waiting for approval, <c>authorization_pending</c>, is the normal poll answer and logged at debug.)
/// </summary>
public sealed partial class TokenErrorLog(ILogger<TokenErrorLog> logger) : IOpenIddictServerHandler<OpenIddictServerEvents.ApplyTokenResponseContext>
{
    public ValueTask HandleAsync(OpenIddictServerEvents.ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.Error is { } error)
        {
            if (error is OpenIddict.Abstractions.OpenIddictConstants.Errors.AuthorizationPending or OpenIddict.Abstractions.OpenIddictConstants.Errors.SlowDown)
            {
                LogPending(logger, context.Request?.ClientId, error);
            }
            else
            {
                LogRefused(logger, context.Request?.ClientId, context.Request?.GrantType, error, context.Response.ErrorDescription);
            }
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 6302, Level = LogLevel.Warning, Message = "Token request of client {ClientId} (grant {GrantType}) refused with {Error}: {Description}")]
    private static partial void LogRefused(ILogger logger, string? clientId, string? grantType, string error, string? description);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Debug, Message = "Token request of client {ClientId}: {Error}.")]
    private static partial void LogPending(ILogger logger, string? clientId, string error);
}
