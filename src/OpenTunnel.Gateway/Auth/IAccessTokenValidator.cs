namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Decides whether an OIDC access token presented at sign-in (openconnect's
/// <c>Authorization: Bearer</c>, as ocserv's <c>auth = oidc</c> mode takes it) lets its bearer in.
/// Implementations never throw for a bad token: every refusal is an outcome with a reason.
/// </summary>
public interface IAccessTokenValidator
{
    ValueTask<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken);
}
