namespace OpenTunnel.Gateway.Auth;

/// <summary>Which check refused a token; <see cref="None"/> when it was accepted. docs/authentication.md explains each.</summary>
public enum TokenRefusal
{
    None,

    /// <summary>Not a compact signed JWT (three base64url parts), or its header or payload is not JSON.</summary>
    Malformed,

    /// <summary><c>exp</c> is in the past by more than the allowed clock skew.</summary>
    Expired,

    /// <summary><c>nbf</c> is in the future by more than the allowed clock skew.</summary>
    NotYetValid,

    /// <summary><c>iss</c> is not the configured issuer.</summary>
    WrongIssuer,

    /// <summary><c>aud</c> does not contain the configured audience.</summary>
    WrongAudience,

    /// <summary>The signature does not verify with the key the token names.</summary>
    BadSignature,

    /// <summary>The token names a <c>kid</c> that the issuer's JWKS does not hold, even after a refresh.</summary>
    UnknownKey,

    /// <summary>Unsigned (<c>alg: none</c>), HMAC-signed, or an algorithm outside the allow-list.</summary>
    DisallowedAlgorithm,

    /// <summary>A required claim (or <c>exp</c>, or the user name) is absent or has none of the accepted values.</summary>
    MissingClaim,

    /// <summary>The token was issued for another site (its site claim differs from <c>Auth:RequiredSite</c>) or names none.</summary>
    WrongSite,

    /// <summary>The token is not an access token: its <c>typ</c> is not in <c>Auth:ValidTypes</c>, or it carries ID-token claims (<c>nonce</c>, <c>at_hash</c>).</summary>
    WrongType,

    /// <summary>The issuer's signing keys could not be had (metadata or JWKS unreachable or invalid, JWKS file unreadable).</summary>
    KeysUnavailable,
}
