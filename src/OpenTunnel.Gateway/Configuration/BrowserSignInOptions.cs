namespace OpenTunnel.Gateway.Configuration;

/// <summary>
/// Sign-in in a browser for clients without a token (configuration section <c>BrowserSignIn</c>;
/// docs/authentication.md, "Browser sign-in"): the gateway offers AnyConnect's single-sign-on form
/// with <c>sso-v2-browser-mode external</c>, which <c>openconnect --external-browser</c> (9.0 and
/// later) opens in a browser; the browser runs the authorization code flow with PKCE at the
/// identity provider and comes back to the gateway, which exchanges the code for an access token,
/// checks it as any token and hands openconnect a one-time sign-in token.
/// </summary>
public sealed record BrowserSignInOptions
{
    public const string SectionName = "BrowserSignIn";

    /// <summary>The path of the gateway the identity provider sends the browser back to.</summary>
    public const string CallbackPath = "/+sso/callback";

    /// <summary>Offer the browser sign-in to clients that can do it. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The identity provider's authorization endpoint (absolute https URL; http only with <see cref="RequireHttps"/> false).</summary>
    public string? AuthorizationEndpoint { get; set; }

    /// <summary>The identity provider's token endpoint, which the gateway calls with the code (trusted as <c>Auth:CaPin</c>/<c>Auth:CaFile</c> say).</summary>
    public string? TokenEndpoint { get; set; }

    /// <summary>The gateway's client registration at the provider: a public client with PKCE whose redirect URI is <see cref="PublicUrl"/> + <see cref="CallbackPath"/>.</summary>
    public string ClientId { get; set; } = "opentunnel-gateway-browser";

    /// <summary>The scopes asked for; the token must be an access token for <c>Auth:Audience</c>.</summary>
    public string Scope { get; set; } = "openid profile opentunnel.gateway";

    /// <summary>The gateway's address as the browser reaches it (absolute https URL, no path), for example https://vpn.example.com.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>The site asked for at the token endpoint (the embedded provider's <c>site</c> parameter); default <c>Auth:RequiredSite</c>.</summary>
    public string? Site { get; set; }

    /// <summary>How long a browser sign-in may take from the form to the provider's answer: 30 to 3600 s. Default 300.</summary>
    public int AttemptSeconds { get; set; } = 300;

    /// <summary>How long the one-time sign-in token handed to the client stays valid: 5 to 300 s. Default 60.</summary>
    public int TokenSeconds { get; set; } = 60;

    /// <summary>Refuse provider endpoints over plain http. Set false only for tests and loopback set-ups. Default true.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>Time limit of the token request: 1 to 60 s. Default 10.</summary>
    public int TokenRequestTimeoutSeconds { get; set; } = 10;

    /// <summary>The redirect URI registered for <see cref="ClientId"/>.</summary>
    public string RedirectUri => (PublicUrl ?? string.Empty).TrimEnd('/') + CallbackPath;
}
