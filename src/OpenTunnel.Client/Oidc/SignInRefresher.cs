using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Oidc;

/// <summary>
/// Access tokens from the stored sign-in (the refresh-token grant, RFC 6749 section 6). The
/// provider rolls refresh tokens, so the new one is stored before the access token is used; a
/// refusal keeps the old one (the provider redeems it only when it issues tokens).
/// </summary>
public sealed class SignInRefresher(ProviderClient provider, ClientStateDirectory state)
{
    /// <summary>An access token for the sign-in's scopes, with <paramref name="extra"/> parameters (device_assertion, site).</summary>
    public async Task<string> AccessTokenAsync(SignInState signIn, IReadOnlyDictionary<string, string> extra, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        ArgumentNullException.ThrowIfNull(extra);
        var form = new Dictionary<string, string>(extra) { ["grant_type"] = "refresh_token", ["refresh_token"] = signIn.RefreshToken };
        TokenAnswer answer = await provider.TokenAsync(signIn.TokenEndpoint, form, cancellationToken);
        if (answer.AccessToken is null)
        {
            throw new ProviderException(answer.Error switch
            {
                "access_denied" => $"Access denied: {answer.ErrorDescription ?? "the provider gave no reason"}",
                "invalid_grant" => $"The sign-in at {signIn.Server} is no longer valid ({answer.ErrorDescription ?? "expired or revoked"}): run 'opentunnel signin --server {signIn.Server}' again.",
                _ => $"The provider refused a token: {answer.Describe()}",
            }, refused: true, answer.Error);
        }

        if (answer.RefreshToken is { } rolled)
        {
            state.SaveSignIn(signIn with { RefreshToken = rolled, Scope = answer.Scope ?? signIn.Scope });
        }

        return answer.AccessToken;
    }
}
