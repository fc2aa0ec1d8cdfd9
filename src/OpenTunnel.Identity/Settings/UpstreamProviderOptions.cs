using System.Text.RegularExpressions;
using OpenTunnel.Trust;

namespace OpenTunnel.Identity.Settings;

/// <summary>
/// One upstream OpenID Connect provider users may sign in through (Entra ID, Keycloak, Google
/// Workspace, any OIDC provider), an entry of <c>Identity:Upstreams</c>. The sign-in page offers
/// "Sign in with <see cref="Name"/>"; the provider runs the authorization code flow with PKCE to it.
/// </summary>
public sealed partial class UpstreamProviderOptions
{
    /// <summary>The name shown on the sign-in button and kept with each federated user; letters, digits, '-', '_' and '.', at most 64 characters, unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>The upstream's issuer (the URL its discovery document is under), e.g. <c>https://login.microsoftonline.com/TENANT/v2.0</c>. Users are matched by this issuer and their <c>sub</c>.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The client id registered at the upstream.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The client secret registered at the upstream; none for a public client (PKCE alone).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Scopes asked for; default <c>openid profile email offline_access</c>. Must contain <c>openid</c>.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The claim that names the user (the user name of a user created at first sign-in); default <c>preferred_username</c>.</summary>
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>The claim whose values are the user's upstream groups; default <c>groups</c>.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>Upstream group value (a name, or Entra ID's object id) to the name of one of our groups. Values not listed are ignored.</summary>
    public Dictionary<string, string> GroupMapping { get; set; } = [];

    /// <summary>A PEM file of CA certificates the upstream's HTTPS certificate is checked against instead of the system's trust store (a provider with a private CA).</summary>
    public string? CaFile { get; set; }

    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "profile", "email", "offline_access"];

    /// <summary>The scopes asked for: <see cref="Scopes"/>, or <see cref="DefaultScopes"/> when none are set.</summary>
    public IReadOnlyList<string> EffectiveScopes => Scopes.Count > 0 ? Scopes : DefaultScopes;

    /// <summary>Every problem with this entry, each naming its setting (<paramref name="prefix"/> is <c>Identity:Upstreams:N:</c>).</summary>
    internal void Validate(string prefix, bool requireHttps, List<string> errors)
    {
        if (!NamePattern().IsMatch(Name))
        {
            errors.Add($"{prefix}{nameof(Name)} must be 1 to 64 letters, digits, '-', '_' or '.' (got '{Name}').");
        }

        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out Uri? issuer) || (issuer.Scheme != Uri.UriSchemeHttps && issuer.Scheme != Uri.UriSchemeHttp)
            || issuer.Query.Length > 0 || issuer.Fragment.Length > 0)
        {
            errors.Add($"{prefix}{nameof(Issuer)} must be the upstream's issuer, an absolute https URL without query or fragment (got '{Issuer}').");
        }
        else if (requireHttps && issuer.Scheme == Uri.UriSchemeHttp)
        {
            errors.Add($"{prefix}{nameof(Issuer)} uses http; an upstream provider must be reached over https (got '{Issuer}').");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            errors.Add($"{prefix}{nameof(ClientId)} must not be empty: the client id registered at the upstream provider.");
        }

        if (ClientSecret is not null && ClientSecret.Trim().Length == 0)
        {
            errors.Add($"{prefix}{nameof(ClientSecret)} must not be blank; leave it out for a public client.");
        }

        if (Scopes.Count > 0 && !Scopes.Contains("openid", StringComparer.Ordinal))
        {
            errors.Add($"{prefix}{nameof(Scopes)} must contain 'openid' (got '{string.Join(' ', Scopes)}').");
        }

        if (Scopes.Exists(s => string.IsNullOrWhiteSpace(s) || s.Contains(' ', StringComparison.Ordinal)))
        {
            errors.Add($"{prefix}{nameof(Scopes)} must hold one scope per entry, without spaces.");
        }

        if (string.IsNullOrWhiteSpace(UserNameClaim))
        {
            errors.Add($"{prefix}{nameof(UserNameClaim)} must not be empty (e.g. preferred_username, email, upn).");
        }

        if (string.IsNullOrWhiteSpace(GroupsClaim))
        {
            errors.Add($"{prefix}{nameof(GroupsClaim)} must not be empty (e.g. groups, roles).");
        }

        foreach ((string upstream, string ours) in GroupMapping)
        {
            if (string.IsNullOrWhiteSpace(ours))
            {
                errors.Add($"{prefix}{nameof(GroupMapping)}:{upstream} must name one of our groups.");
            }
        }

        if (CaFile is not null)
        {
            try
            {
                DeploymentTrust.FromCaFile(CaFile, prefix + nameof(CaFile));
            }
            catch (ArgumentException e)
            {
                errors.Add(e.Message.Split(" (Parameter", 2)[0]);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
