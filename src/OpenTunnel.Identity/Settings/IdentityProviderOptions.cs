using System.Globalization;

namespace OpenTunnel.Identity.Settings;

/// <summary>How a newly enrolled device is admitted (<c>Identity:DeviceApproval</c>).</summary>
public enum DeviceApprovalMode
{
    Automatic,
    Administrator,
}

/// <summary>
/// Settings of the embedded identity provider, configuration section <c>Identity</c>
/// (environment: <c>Identity__Name</c>); docs/identity.md lists them. <see cref="Validate"/> names
/// every bad value by its setting, and the service does not start with one.
/// </summary>
public sealed class IdentityProviderOptions
{
    public const string Section = "Identity";

    /// <summary>The client id of the Linux client and of openconnect users (public client: device flow, refresh tokens).</summary>
    public const string DeviceClientId = "opentunnel-client";

    /// <summary>The client id of the web console (public client: authorization code with PKCE).</summary>
    public const string ConsoleClientId = "opentunnel-console";

    /// <summary>The client id of the gateways' browser sign-in (public client: authorization code with PKCE; the gateway's <c>BrowserSignIn:ClientId</c>).</summary>
    public const string GatewayBrowserClientId = "opentunnel-gateway-browser";

    /// <summary>
    /// The issuer URL every token carries and the gateway is configured with (<c>Auth:Issuer</c>),
    /// e.g. <c>https://manage.example.com</c>. Default none: the issuer is taken from each request's
    /// scheme and host, which suits a single address only (tests, a quick start).
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Folder of the signing and encryption keys (mode 0700). Default: the management data directory's <c>identity</c> folder.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Refuse OIDC requests over plain http. Default true; false only behind a TLS-terminating proxy or on loopback tests.</summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>The <c>aud</c> of access tokens for the gateways (<c>Auth:Audience</c> there). Default <c>opentunnel-gateway</c>.</summary>
    public string GatewayAudience { get; set; } = "opentunnel-gateway";

    /// <summary>The <c>aud</c> of tokens for the management API (device enrolment, automation). Default <c>opentunnel-management</c>.</summary>
    public string ManagementAudience { get; set; } = "opentunnel-management";

    /// <summary>Lifetime of access tokens (and identity tokens); default 10 min, 1 min to 1 h.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Lifetime of refresh tokens; default 14 days, 1 h to 90 days. Each use rolls it over (a new refresh token).</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a device code and its user code may be approved and polled; default 10 min, 1 to 30 min.</summary>
    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Lifetime of authorization codes; default 2 min, 30 s to 10 min.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a signing key signs before a new one replaces it; default 30 days, 1 h to 365 days.</summary>
    public TimeSpan SigningKeyRotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Longest lifetime a device assertion (<c>device_assertion</c>) may have; default 5 min, 30 s to 10 min.</summary>
    public TimeSpan DeviceAssertionMaximumLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether a newly enrolled device counts at once (<c>automatic</c>, the default) or waits,
    /// pending and not compliant, until an administrator approves it through the management API
    /// (<c>administrator</c>): a device's own posture report is then not enough to get in.
    /// </summary>
    public DeviceApprovalMode DeviceApproval { get; set; } = DeviceApprovalMode.Automatic;

    /// <summary>Redirect URIs of the web console client (authorization code + PKCE). Default none, which leaves the code flow unused.</summary>
    public List<string> ConsoleRedirectUris { get; set; } = [];

    /// <summary>
    /// Redirect URIs of the gateways' browser sign-in client (<see cref="GatewayBrowserClientId"/>):
    /// each gateway's <c>BrowserSignIn:PublicUrl</c> + <c>/+sso/callback</c>. Default none, which
    /// leaves the browser sign-in unused.
    /// </summary>
    public List<string> GatewayBrowserRedirectUris { get; set; } = [];

    /// <summary>Failed sign-ins one user name may have within <see cref="SignInLockout"/> before further tries are refused; default 5, 1 to 100.</summary>
    public int MaximumFailedSignInsPerUser { get; set; } = 5;

    /// <summary>Failed sign-ins one client address may have within <see cref="SignInLockout"/>; default 20, 1 to 1000.</summary>
    public int MaximumFailedSignInsPerAddress { get; set; } = 20;

    /// <summary>The window failed sign-ins are counted in, and how long a locked name or address waits; default 15 min, 1 min to 24 h.</summary>
    public TimeSpan SignInLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Whether users may sign in with a user name and password (and TOTP) kept here. Default true;
    /// false when every user signs in through an upstream provider (<see cref="Upstreams"/>).
    /// </summary>
    public bool LocalAccounts { get; set; } = true;

    /// <summary>Upstream OpenID Connect providers users may sign in through (federation); default none.</summary>
    public List<UpstreamProviderOptions> Upstreams { get; set; } = [];

    /// <summary>How long signing keys stay published after they stop signing: until every token they signed has expired, plus clock skew.</summary>
    public TimeSpan RetiredKeyRetention => AccessTokenLifetime + TimeSpan.FromMinutes(5);

    /// <summary>Every problem with these settings, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        const string prefix = Section + ":";
        if (Issuer is not null && (!Uri.TryCreate(Issuer, UriKind.Absolute, out Uri? issuer)
            || (issuer.Scheme != Uri.UriSchemeHttps && issuer.Scheme != Uri.UriSchemeHttp) || issuer.Query.Length > 0 || issuer.Fragment.Length > 0))
        {
            errors.Add($"{prefix}{nameof(Issuer)} must be an absolute https URL without query or fragment (got '{Issuer}').");
        }
        else if (Issuer is not null && RequireHttps && Issuer.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{prefix}{nameof(Issuer)} uses http; use https, or set {prefix}{nameof(RequireHttps)} to false (loopback tests and TLS-terminating proxies only).");
        }

        if (KeyDirectory is not null && !Path.IsPathFullyQualified(KeyDirectory))
        {
            errors.Add($"{prefix}{nameof(KeyDirectory)} must be an absolute path (got '{KeyDirectory}').");
        }

        AddIfBlank(errors, prefix + nameof(GatewayAudience), GatewayAudience);
        AddIfBlank(errors, prefix + nameof(ManagementAudience), ManagementAudience);
        if (string.Equals(GatewayAudience, ManagementAudience, StringComparison.Ordinal))
        {
            errors.Add($"{prefix}{nameof(GatewayAudience)} and {prefix}{nameof(ManagementAudience)} must differ, or a gateway token would open the management API.");
        }

        AddIfOutside(errors, prefix + nameof(AccessTokenLifetime), AccessTokenLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
        AddIfOutside(errors, prefix + nameof(RefreshTokenLifetime), RefreshTokenLifetime, TimeSpan.FromHours(1), TimeSpan.FromDays(90));
        AddIfOutside(errors, prefix + nameof(DeviceCodeLifetime), DeviceCodeLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30));
        AddIfOutside(errors, prefix + nameof(AuthorizationCodeLifetime), AuthorizationCodeLifetime, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
        AddIfOutside(errors, prefix + nameof(SigningKeyRotationInterval), SigningKeyRotationInterval, TimeSpan.FromHours(1), TimeSpan.FromDays(365));
        AddIfOutside(errors, prefix + nameof(DeviceAssertionMaximumLifetime), DeviceAssertionMaximumLifetime, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
        AddIfOutside(errors, prefix + nameof(SignInLockout), SignInLockout, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));
        if (MaximumFailedSignInsPerUser is < 1 or > 100)
        {
            errors.Add($"{prefix}{nameof(MaximumFailedSignInsPerUser)} must be between 1 and 100 (got {MaximumFailedSignInsPerUser}).");
        }

        if (MaximumFailedSignInsPerAddress is < 1 or > 1000)
        {
            errors.Add($"{prefix}{nameof(MaximumFailedSignInsPerAddress)} must be between 1 and 1000 (got {MaximumFailedSignInsPerAddress}).");
        }

        AddBadRedirectUris(errors, prefix + nameof(ConsoleRedirectUris), ConsoleRedirectUris);
        AddBadRedirectUris(errors, prefix + nameof(GatewayBrowserRedirectUris), GatewayBrowserRedirectUris);

        for (int i = 0; i < Upstreams.Count; i++)
        {
            Upstreams[i].Validate(string.Create(CultureInfo.InvariantCulture, $"{prefix}{nameof(Upstreams)}:{i}:"), RequireHttps, errors);
            if (Upstreams.FindIndex(u => string.Equals(u.Name, Upstreams[i].Name, StringComparison.OrdinalIgnoreCase)) < i)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}{nameof(Upstreams)}:{i}:Name '{Upstreams[i].Name}' is used by another upstream; names must be unique."));
            }
        }

        if (!LocalAccounts && Upstreams.Count == 0)
        {
            errors.Add($"{prefix}{nameof(LocalAccounts)} is false and no {prefix}{nameof(Upstreams)} are configured: nobody could sign in.");
        }

        return errors;
    }

    private static void AddIfBlank(List<string> errors, string setting, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{setting} must not be empty.");
        }
    }

    private static void AddIfOutside(List<string> errors, string setting, TimeSpan value, TimeSpan minimum, TimeSpan maximum)
    {
        if (value < minimum || value > maximum)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{setting} must be between {minimum} and {maximum} (got {value})."));
        }
    }

    private static void AddBadRedirectUris(List<string> errors, string setting, List<string> uris)
    {
        for (int i = 0; i < uris.Count; i++)
        {
            if (!Uri.TryCreate(uris[i], UriKind.Absolute, out Uri? redirect) || redirect.Fragment.Length > 0)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{setting}:{i} must be an absolute URL without fragment (got '{uris[i]}')."));
            }
        }
    }
}
