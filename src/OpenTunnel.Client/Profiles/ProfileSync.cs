using OpenTunnel.Client.Oidc;
using OpenTunnel.Client.State;

namespace OpenTunnel.Client.Profiles;

/// <summary>
/// Brings <c>profiles.json</c> up to date: a management token from the sign-in (a refresh narrowed
/// to <c>opentunnel.device</c>, so the token is for the management service only), then the
/// profiles with the stored ETag; a 304 leaves the file as it is.
/// </summary>
public sealed class ProfileSync(SignInRefresher refresher, ProfileClient client, ClientStateDirectory state, TimeProvider time)
{
    public const string Scope = "opentunnel.device";

    /// <summary>The stored profiles after the fetch, and whether they changed.</summary>
    public async Task<(StoredProfiles Profiles, bool Changed)> RefreshAsync(CancellationToken cancellationToken)
    {
        SignInState signIn = state.LoadSignIn();
        if (!signIn.Grants(Scope))
        {
            throw new ClientStateException(
                $"The sign-in at {signIn.Server} (scope {signIn.Scope}) does not cover VPN profiles: run 'opentunnel signin --server {signIn.Server}' again.");
        }

        StoredProfiles? stored = state.FindProfiles() is { } found && found.Server == signIn.Server ? found : null;
        string token = await refresher.AccessTokenAsync(signIn, new Dictionary<string, string> { ["scope"] = Scope }, cancellationToken);
        ProfileFetch fetch = await client.FetchAsync(signIn.Server, token, stored?.ETag, cancellationToken);
        if (fetch.NotModified && stored is not null)
        {
            return (stored, false);
        }

        var fresh = new StoredProfiles(signIn.Server, fetch.ETag, time.GetUtcNow(), fetch.List?.Profiles ?? []);
        state.SaveProfiles(fresh);
        return (fresh, true);
    }
}
