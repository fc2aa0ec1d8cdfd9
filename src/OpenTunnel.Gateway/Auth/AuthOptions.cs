using System.Globalization;
using OpenTunnel.Trust;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Settings of the access-token check (configuration section <c>Auth</c>; docs/authentication.md).
/// <see cref="Validate"/> lists every bad value by its setting name; a validator is never built from
/// options that have errors. Properties are settable, not init-only, because the source-generated
/// configuration binder cannot fill init-only properties.
/// </summary>
public sealed record AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Algorithms accepted when <see cref="Algorithms"/> is not set.</summary>
    public static readonly IReadOnlyList<string> DefaultAlgorithms = ["RS256", "PS256", "ES256"];

    /// <summary>Asymmetric algorithms the validator can check. HMAC and "none" are never among them.</summary>
    public static readonly IReadOnlyList<string> SupportedAlgorithms =
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    /// <summary>
    /// Token types (the JOSE <c>typ</c> header) accepted when <see cref="ValidTypes"/> is not set:
    /// RFC 9068's <c>at+jwt</c>, which the embedded identity provider issues, and <c>JWT</c>, which
    /// Entra ID and Keycloak put on their access tokens.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultValidTypes = ["at+jwt", "JWT"];

    public static readonly TimeSpan MaximumClockSkew = TimeSpan.FromSeconds(300);

    /// <summary>The <c>iss</c> every token must carry, exactly (Entra ID: <c>https://login.microsoftonline.com/TENANT/v2.0</c>). Required.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The value <c>aud</c> must contain (the gateway's client id or app ID URI). Required.</summary>
    public string Audience { get; set; } = "";

    /// <summary>OIDC discovery document; default <see cref="Issuer"/> + <c>/.well-known/openid-configuration</c>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>A local JWKS file to take the signing keys from instead of discovery (no network); re-read when it changes. Absolute path.</summary>
    public string? JwksFile { get; set; }

    /// <summary>Refuse to fetch metadata and keys over plain http. Default true; false only for tests and loopback set-ups.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// Trust the issuer's HTTPS certificate by the pin (<c>pin-sha256:BASE64</c>) of the CA that
    /// issued it: the embedded provider's deployment CA, as its management service prints it. Default
    /// none: the system's trust store. Excludes <see cref="CaFile"/>.
    /// </summary>
    public string? CaPin { get; set; }

    /// <summary>Trust the issuer's HTTPS certificate by the CA certificates (PEM) of this file, e.g. the management service's agent-ca.pem. Absolute path. Default none: the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>Accepted signature algorithms; default <see cref="DefaultAlgorithms"/>. "none" and HMAC are refused even when listed.</summary>
    public IReadOnlyList<string>? Algorithms { get; set; }

    /// <summary>Claims conditional access requires (see <see cref="RequiredClaim"/>). Default none.</summary>
    public IReadOnlyList<RequiredClaim> RequiredClaims { get; set; } = [];

    /// <summary>
    /// The site this gateway serves: a token is accepted only when its <see cref="SiteClaim"/> is
    /// exactly this value, so a token issued under one site's conditional access does not open
    /// another site. The agent sets it to the site's id, the value the embedded identity provider
    /// puts in <c>site</c>. Default none (no site check).
    /// </summary>
    public string? RequiredSite { get; set; }

    /// <summary>Claim that names the site a token was issued for; default <c>site</c>.</summary>
    public string SiteClaim { get; set; } = "site";

    /// <summary>
    /// Accepted token types (JOSE <c>typ</c> header, compared without case and without an
    /// <c>application/</c> prefix, RFC 7515 section 4.1.9); default <see cref="DefaultValidTypes"/>.
    /// A token without <c>typ</c> counts as <c>JWT</c> (RFC 7519 section 5.1).
    /// </summary>
    public IReadOnlyList<string>? ValidTypes { get; set; }

    /// <summary>
    /// Accept tokens that carry <c>nonce</c> or <c>at_hash</c>, the marks of an OIDC ID token. Default
    /// false: with an external provider whose ID tokens have the gateway's client id as audience, an
    /// ID token would otherwise pass as an access token.
    /// </summary>
    public bool AllowIdTokenClaims { get; set; }

    /// <summary>Claim that names the user; default <c>preferred_username</c>, falling back to <c>sub</c> when absent.</summary>
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>Claim that names the device; default <c>device_id</c> (Entra ID: <c>deviceid</c>). Optional in tokens unless required.</summary>
    public string DeviceIdClaim { get; set; } = "device_id";

    /// <summary>Claim that lists the user's groups; default <c>groups</c>.</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c> for clocks that disagree; default 60 s, 0 to 300 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Shortest time between two key refreshes caused by tokens naming an unknown <c>kid</c>, so
    /// forged tokens cannot make the gateway hammer the issuer; default 5 min, 1 s to 1 h.
    /// </summary>
    public TimeSpan KeyRefreshMinimumInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often discovery metadata and keys are fetched again on their own; default 12 h, 5 min to 7 days.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// After a failed metadata or JWKS fetch, how long sign-ins get that failure (or the keys fetched
    /// before) until the next try, so an outage is not met with one request per sign-in; default 10 s, 1 s to 300 s.
    /// </summary>
    public TimeSpan KeyFetchRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time limit for one metadata or JWKS request; default 10 s, 1 s to 60 s.</summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How old the keys saved in the data directory (<c>issuer-keys.json</c>, discovery only) may be
    /// for a gateway that starts while the issuer cannot be reached to use them; default 30 days,
    /// 0 to 365 days. 0 turns saving and loading them off.
    /// </summary>
    public TimeSpan CachedKeysMaximumAge { get; set; } = TimeSpan.FromDays(30);

    public IReadOnlyList<string> EffectiveAlgorithms => Algorithms ?? DefaultAlgorithms;

    public IReadOnlyList<string> EffectiveValidTypes => ValidTypes ?? DefaultValidTypes;

    public string EffectiveMetadataAddress => MetadataAddress ?? Issuer.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>The trust for the issuer's HTTPS from <see cref="CaPin"/> or <see cref="CaFile"/>; null for the system's trust store.</summary>
    /// <exception cref="ArgumentException">Both are set, or the one set is unusable; the message names the setting.</exception>
    public DeploymentTrust? Trust() => DeploymentTrust.From(CaPin, CaFile, SectionName + ":" + nameof(CaPin), SectionName + ":" + nameof(CaFile));

    /// <summary>Every problem with these settings, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        const string prefix = SectionName + ":";

        if (!IsHttpUrl(Issuer))
        {
            errors.Add($"{prefix}{nameof(Issuer)} must be an absolute https or http URL (got '{Issuer}').");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            errors.Add($"{prefix}{nameof(Audience)} must be set to the gateway's client id or app ID URI.");
        }

        if (JwksFile is not null)
        {
            if (!Path.IsPathFullyQualified(JwksFile))
            {
                errors.Add($"{prefix}{nameof(JwksFile)} must be an absolute path (got '{JwksFile}').");
            }

            if (MetadataAddress is not null)
            {
                errors.Add($"{prefix}{nameof(MetadataAddress)} and {prefix}{nameof(JwksFile)} exclude each other: keys come either from discovery or from the file.");
            }
        }
        else if (MetadataAddress is not null && !IsHttpUrl(MetadataAddress))
        {
            errors.Add($"{prefix}{nameof(MetadataAddress)} must be an absolute https or http URL (got '{MetadataAddress}').");
        }
        else if (RequireHttpsMetadata && IsHttpUrl(EffectiveMetadataAddress) && !EffectiveMetadataAddress.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            string setting = MetadataAddress is null ? nameof(Issuer) : nameof(MetadataAddress);
            errors.Add($"{prefix}{setting} uses http, so the keys would be fetched without TLS; use https, or set {prefix}{nameof(RequireHttpsMetadata)} to false (tests and loopback only).");
        }

        if ((CaPin is not null || CaFile is not null) && JwksFile is not null)
        {
            errors.Add($"{prefix}{(CaPin is null ? nameof(CaFile) : nameof(CaPin))} is for fetching discovery over https and has no use with {prefix}{nameof(JwksFile)}.");
        }

        if (CaFile is not null && !Path.IsPathFullyQualified(CaFile))
        {
            errors.Add($"{prefix}{nameof(CaFile)} must be an absolute path (got '{CaFile}').");
        }
        else
        {
            try
            {
                _ = Trust();
            }
            catch (ArgumentException e)
            {
                errors.Add(e.Message);
            }
        }

        AddAlgorithmErrors(errors, prefix);

        for (int i = 0; i < RequiredClaims.Count; i++)
        {
            RequiredClaim required = RequiredClaims[i];
            if (string.IsNullOrWhiteSpace(required.Claim))
            {
                errors.Add($"{prefix}{nameof(RequiredClaims)}:{i}:{nameof(RequiredClaim.Claim)} must name a claim.");
            }

            foreach (string value in required.AnyOf)
            {
                if (string.IsNullOrEmpty(value))
                {
                    errors.Add($"{prefix}{nameof(RequiredClaims)}:{i}:{nameof(RequiredClaim.AnyOf)} must not contain an empty value.");
                    break;
                }
            }
        }

        if (RequiredSite is not null && string.IsNullOrWhiteSpace(RequiredSite))
        {
            errors.Add($"{prefix}{nameof(RequiredSite)} must name a site (its id), or be left out for no site check.");
        }

        if (EffectiveValidTypes.Count == 0)
        {
            errors.Add($"{prefix}{nameof(ValidTypes)} must list at least one token type (default: {string.Join(", ", DefaultValidTypes)}).");
        }

        foreach (string type in EffectiveValidTypes)
        {
            if (string.IsNullOrWhiteSpace(type))
            {
                errors.Add($"{prefix}{nameof(ValidTypes)} must not contain an empty type.");
                break;
            }
        }

        AddIfBlank(errors, prefix + nameof(SiteClaim), SiteClaim);
        AddIfBlank(errors, prefix + nameof(UserNameClaim), UserNameClaim);
        AddIfBlank(errors, prefix + nameof(DeviceIdClaim), DeviceIdClaim);
        AddIfBlank(errors, prefix + nameof(GroupsClaim), GroupsClaim);
        AddIfOutside(errors, prefix + nameof(ClockSkew), ClockSkew, TimeSpan.Zero, MaximumClockSkew);
        AddIfOutside(errors, prefix + nameof(KeyRefreshMinimumInterval), KeyRefreshMinimumInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        AddIfOutside(errors, prefix + nameof(KeyRefreshInterval), KeyRefreshInterval, TimeSpan.FromMinutes(5), TimeSpan.FromDays(7));
        AddIfOutside(errors, prefix + nameof(KeyFetchRetryDelay), KeyFetchRetryDelay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
        AddIfOutside(errors, prefix + nameof(MetadataTimeout), MetadataTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        AddIfOutside(errors, prefix + nameof(CachedKeysMaximumAge), CachedKeysMaximumAge, TimeSpan.Zero, TimeSpan.FromDays(365));
        return errors;
    }

    private void AddAlgorithmErrors(List<string> errors, string prefix)
    {
        string setting = prefix + nameof(Algorithms);
        if (EffectiveAlgorithms.Count == 0)
        {
            errors.Add($"{setting} must list at least one algorithm (default: {string.Join(", ", DefaultAlgorithms)}).");
        }

        foreach (string algorithm in EffectiveAlgorithms)
        {
            if (string.Equals(algorithm, "none", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{setting} must not contain 'none': unsigned tokens are never accepted.");
            }
            else if (algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{setting} must not contain '{algorithm}': HMAC (shared-secret) signatures are never accepted.");
            }
            else if (!SupportedAlgorithms.Contains(algorithm, StringComparer.Ordinal))
            {
                errors.Add($"{setting} contains '{algorithm}', which is not one of {string.Join(", ", SupportedAlgorithms)}.");
            }
        }
    }

    private static void AddIfBlank(List<string> errors, string setting, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{setting} must name a claim.");
        }
    }

    private static void AddIfOutside(List<string> errors, string setting, TimeSpan value, TimeSpan minimum, TimeSpan maximum)
    {
        if (value < minimum || value > maximum)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{setting} must be between {minimum.TotalSeconds} and {maximum.TotalSeconds} seconds (got {value.TotalSeconds})."));
        }
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
