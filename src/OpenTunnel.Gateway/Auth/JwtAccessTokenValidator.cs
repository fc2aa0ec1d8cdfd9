using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Validates OIDC access tokens as ocserv's <c>auth = oidc</c> does (src/auth/openidconnect.c: JWS
/// signature with a key from the issuer's <c>jwks_uri</c>, <c>nbf</c>/<c>exp</c>, required claims,
/// user name from a configured claim), with Microsoft.IdentityModel doing the JWT work. Before the
/// library sees a token, the header is checked here: unsigned and HMAC tokens are refused outright
/// (the "HS256 with the RSA public key as the secret" attack never reaches a key), and a <c>kid</c>
/// the cached keys do not hold triggers one key refresh, limited in rate.
/// </summary>
public sealed class JwtAccessTokenValidator : IAccessTokenValidator, IDisposable
{
    /// <summary>Longest token accepted; Entra ID caps group claims so that its tokens stay well below.</summary>
    public const int MaximumTokenLength = 64 * 1024;

    private readonly AuthOptions _options;
    private readonly ISigningKeySource _keys;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MaximumTokenSizeInBytes = MaximumTokenLength };

    private JwtAccessTokenValidator(AuthOptions options, ISigningKeySource keys, ILogger logger, TimeProvider time)
    {
        _options = options;
        _keys = keys;
        _logger = logger;
        _time = time;
    }

    /// <summary>
    /// Builds a validator: keys from <see cref="AuthOptions.JwksFile"/> when set, else from OIDC
    /// discovery (fetched on first use), saved in <paramref name="dataDirectory"/> when given (see
    /// <see cref="SigningKeyCacheFile"/>). Throws <see cref="ArgumentException"/> listing
    /// <see cref="AuthOptions.Validate"/>'s errors when the options are not usable.
    /// </summary>
    public static JwtAccessTokenValidator Create(AuthOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null, string? dataDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid authentication settings: " + string.Join(" ", errors), nameof(options));
        }

        time ??= TimeProvider.System;
        ILogger logger = loggerFactory.CreateLogger<JwtAccessTokenValidator>();
        ISigningKeySource keys = options.JwksFile is not null
            ? new JwksFileSigningKeySource(options.JwksFile, logger)
            : new DiscoverySigningKeySource(options, logger, time,
                dataDirectory is null || options.CachedKeysMaximumAge == TimeSpan.Zero ? null : new SigningKeyCacheFile(Path.Combine(dataDirectory, SigningKeyCacheFile.FileName), logger));
        return new JwtAccessTokenValidator(options, keys, logger, time);
    }

    public async ValueTask<TokenValidationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (Parse(token, out JsonWebToken? jwt) is { } malformed)
        {
            return malformed;
        }

        if (CheckAlgorithm(jwt.Alg) is { } disallowed)
        {
            return disallowed;
        }

        ICollection<SecurityKey> keys;
        try
        {
            keys = await _keys.GetKeysAsync(cancellationToken);
            if (!string.IsNullOrEmpty(jwt.Kid) && !Holds(keys, jwt.Kid))
            {
                string keyId = TokenRefusalDetails.Quote(jwt.Kid);
                ICollection<SecurityKey>? refreshed = await _keys.RefreshAsync(keys, keyId, cancellationToken);
                if (refreshed is null)
                {
                    return TokenRefusalDetails.Refuse(TokenRefusal.UnknownKey,
                        $"no key {keyId} in the issuer's keys ({_keys.Description}); they were fetched again less than {_options.KeyRefreshMinimumInterval} ago");
                }

                if (!Holds(refreshed, jwt.Kid))
                {
                    return TokenRefusalDetails.Refuse(TokenRefusal.UnknownKey,
                        $"no key {keyId} in the issuer's keys ({_keys.Description}), also after fetching them again");
                }

                keys = refreshed;
            }
        }
        catch (SigningKeysUnavailableException e)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.KeysUnavailable, e.Message);
        }

        TokenValidationResult result = await _handler.ValidateTokenAsync(jwt, Parameters(keys));
        if (!result.IsValid)
        {
            return TokenRefusalDetails.FromException(result.Exception, jwt, _options, _keys.Description, _time.GetUtcNow());
        }

        return Accept(jwt);
    }

    public void Dispose() => _keys.Dispose();

    private TokenValidationParameters Parameters(ICollection<SecurityKey> keys) => new()
    {
        ValidIssuer = _options.Issuer,
        ValidAudience = _options.Audience,
        ValidAlgorithms = _options.EffectiveAlgorithms,
        IssuerSigningKeys = keys,
        // A token without a kid is tried against every key; one with a kid was matched above.
        TryAllIssuerSigningKeys = true,
        ClockSkew = _options.ClockSkew,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        RequireAudience = true,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        NameClaimType = _options.UserNameClaim,
    };

    private static TokenValidationOutcome? Parse(string token, out JsonWebToken jwt)
    {
        jwt = null!;
        if (string.IsNullOrEmpty(token))
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.Malformed, "no token was presented");
        }

        if (token.Length > MaximumTokenLength)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.Malformed, $"token is {token.Length} characters long, more than the {MaximumTokenLength} accepted");
        }

        int dots = token.AsSpan().Count('.');
        if (dots == 4)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.Malformed, "token is encrypted (JWE); only signed tokens (JWS) are accepted");
        }

        if (dots != 2)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.Malformed, $"not a JWT: a signed JWT has three base64url parts separated by '.', this has {dots + 1}");
        }

        try
        {
            jwt = new JsonWebToken(token);
            return null;
        }
        catch (ArgumentException)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.Malformed, "not a JWT: its header or payload is not base64url-encoded JSON");
        }
    }

    private TokenValidationOutcome? CheckAlgorithm(string? algorithm)
    {
        if (string.IsNullOrEmpty(algorithm) || string.Equals(algorithm, "none", StringComparison.OrdinalIgnoreCase))
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.DisallowedAlgorithm, "token is unsigned (alg 'none'); unsigned tokens are never accepted");
        }

        if (algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase))
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.DisallowedAlgorithm,
                $"token is signed with HMAC ({TokenRefusalDetails.Quote(algorithm)}); only the issuer's public-key signatures are accepted");
        }

        foreach (string allowed in _options.EffectiveAlgorithms)
        {
            if (string.Equals(allowed, algorithm, StringComparison.Ordinal))
            {
                return null;
            }
        }

        return TokenRefusalDetails.Refuse(TokenRefusal.DisallowedAlgorithm,
            $"algorithm {TokenRefusalDetails.Quote(algorithm)} is not in {AuthOptions.SectionName}:{nameof(AuthOptions.Algorithms)} ({string.Join(", ", _options.EffectiveAlgorithms)})");
    }

    private TokenValidationOutcome Accept(JsonWebToken jwt)
    {
        if (CheckType(jwt) is { } wrongType)
        {
            return wrongType;
        }

        if (CheckSite(jwt) is { } wrongSite)
        {
            return wrongSite;
        }

        foreach (RequiredClaim required in _options.RequiredClaims)
        {
            if (CheckRequiredClaim(jwt, required) is { } missing)
            {
                return missing;
            }
        }

        string? userName = FirstValue(jwt, _options.UserNameClaim) ?? FirstValue(jwt, JwtRegisteredClaimNames.Sub);
        if (userName is null)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.MissingClaim,
                $"token names no user: it has neither '{_options.UserNameClaim}' ({AuthOptions.SectionName}:{nameof(AuthOptions.UserNameClaim)}) nor 'sub'");
        }

        string? deviceId = FirstValue(jwt, _options.DeviceIdClaim);
        DateTimeOffset expires = new(jwt.ValidTo, TimeSpan.Zero);
        return new TokenValidationOutcome(TokenRefusal.None, userName, deviceId,
            $"token of {TokenRefusalDetails.Quote(userName)} accepted, valid until {expires:yyyy-MM-dd'T'HH:mm:ss'Z'}")
        {
            Subject = FirstValue(jwt, JwtRegisteredClaimNames.Sub),
            Groups = Values(jwt, _options.GroupsClaim),
            Unmanaged = Values(jwt, TokenValidationOutcome.ComplianceClaim).Contains(TokenValidationOutcome.UnmanagedDevice),
            TokenId = FirstValue(jwt, JwtRegisteredClaimNames.Jti),
            IssuedAt = jwt.IssuedAt == DateTime.MinValue ? null : new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero),
            ExpiresAt = expires,
        };
    }

    /// <summary>
    /// Only access tokens open the tunnel. The <c>typ</c> header tells them apart where the issuer
    /// sets it (RFC 9068 section 4: "at+jwt"); where it does not (Entra ID marks both kinds "JWT"),
    /// <c>nonce</c> and <c>at_hash</c> give an ID token away (OIDC Core sections 2 and 3.1.3.6), so
    /// one whose audience happens to be the gateway's client id is still refused.
    /// </summary>
    private TokenValidationOutcome? CheckType(JsonWebToken jwt)
    {
        string type = string.IsNullOrEmpty(jwt.Typ) ? "JWT" : jwt.Typ;
        ReadOnlySpan<char> bare = type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) ? type.AsSpan("application/".Length) : type;
        bool valid = false;
        foreach (string accepted in _options.EffectiveValidTypes)
        {
            valid |= bare.Equals(accepted, StringComparison.OrdinalIgnoreCase);
        }

        if (!valid)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.WrongType,
                $"token type {(string.IsNullOrEmpty(jwt.Typ) ? "(none, read as 'JWT')" : TokenRefusalDetails.Quote(jwt.Typ))} is not in {AuthOptions.SectionName}:{nameof(AuthOptions.ValidTypes)} ({string.Join(", ", _options.EffectiveValidTypes)})");
        }

        if (!_options.AllowIdTokenClaims)
        {
            foreach (string claim in (ReadOnlySpan<string>)["nonce", "at_hash"])
            {
                if (jwt.TryGetPayloadValue(claim, out object _))
                {
                    return TokenRefusalDetails.Refuse(TokenRefusal.WrongType,
                        $"token carries '{claim}', so it is an ID token, not an access token ({AuthOptions.SectionName}:{nameof(AuthOptions.AllowIdTokenClaims)} is false)");
                }
            }
        }

        return null;
    }

    private TokenValidationOutcome? CheckSite(JsonWebToken jwt)
    {
        if (_options.RequiredSite is not { } site)
        {
            return null;
        }

        List<string> values = Values(jwt, _options.SiteClaim);
        if (values.Count == 0)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.WrongSite,
                $"token names no site ('{_options.SiteClaim}'); this gateway serves site '{site}' ({AuthOptions.SectionName}:{nameof(AuthOptions.RequiredSite)}) and takes only tokens issued for it");
        }

        if (values.Count == 1 && string.Equals(values[0], site, StringComparison.Ordinal))
        {
            return null;
        }

        return TokenRefusalDetails.Refuse(TokenRefusal.WrongSite,
            $"token was issued for site {string.Join(", ", values.ConvertAll(TokenRefusalDetails.Quote))}, and this gateway serves site '{site}' ({AuthOptions.SectionName}:{nameof(AuthOptions.RequiredSite)})");
    }

    private static TokenValidationOutcome? CheckRequiredClaim(JsonWebToken jwt, RequiredClaim required)
    {
        List<string> values = Values(jwt, required.Claim);
        if (values.Count == 0)
        {
            return TokenRefusalDetails.Refuse(TokenRefusal.MissingClaim, $"required claim '{required.Claim}' is missing");
        }

        if (required.AnyOf.Count == 0)
        {
            return null;
        }

        foreach (string value in values)
        {
            foreach (string accepted in required.AnyOf)
            {
                if (string.Equals(value, accepted, StringComparison.Ordinal))
                {
                    return null;
                }
            }
        }

        var shown = new List<string>(Math.Min(values.Count, 5));
        for (int i = 0; i < values.Count && i < 5; i++)
        {
            shown.Add(TokenRefusalDetails.Quote(values[i]));
        }

        return TokenRefusalDetails.Refuse(TokenRefusal.MissingClaim,
            $"claim '{required.Claim}' is {string.Join(", ", shown)}{(values.Count > 5 ? ", …" : "")}, not one of '{string.Join("', '", required.AnyOf)}'");
    }

    private static string? FirstValue(JsonWebToken jwt, string claimType)
    {
        foreach (Claim claim in jwt.Claims)
        {
            if (claim.Type == claimType && claim.Value.Length > 0)
            {
                return claim.Value;
            }
        }

        return null;
    }

    /// <summary>All non-empty values of a claim; JSON arrays are flattened by the library into one claim per element.</summary>
    private static List<string> Values(JsonWebToken jwt, string claimType)
    {
        var values = new List<string>();
        foreach (Claim claim in jwt.Claims)
        {
            if (claim.Type == claimType && claim.Value.Length > 0)
            {
                values.Add(claim.Value);
            }
        }

        return values;
    }

    private static bool Holds(ICollection<SecurityKey> keys, string keyId)
    {
        foreach (SecurityKey key in keys)
        {
            if (string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
