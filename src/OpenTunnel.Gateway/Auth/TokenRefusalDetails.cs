using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Turns a failed check into a <see cref="TokenRefusal"/> and a sentence a person can act on.
/// Values quoted from the token are shortened and stripped of control characters, since the token
/// is the caller's input; the token itself is never quoted.
/// </summary>
internal static class TokenRefusalDetails
{
    private const int MaximumQuotedLength = 100;

    public static TokenValidationOutcome FromException(Exception exception, JsonWebToken token, AuthOptions options, string keySource, DateTimeOffset now) =>
        exception switch
        {
            SecurityTokenExpiredException e => Refuse(TokenRefusal.Expired, string.Create(CultureInfo.InvariantCulture,
                $"token expired at {Format(e.Expires)}, {Span(now - e.Expires)} ago (clock skew allowed: {options.ClockSkew.TotalSeconds} s)")),
            SecurityTokenNotYetValidException e => Refuse(TokenRefusal.NotYetValid, string.Create(CultureInfo.InvariantCulture,
                $"token is valid only from {Format(e.NotBefore)}, {Span(e.NotBefore - now)} from now (clock skew allowed: {options.ClockSkew.TotalSeconds} s)")),
            SecurityTokenNoExpirationException => Refuse(TokenRefusal.MissingClaim,
                "token has no expiry ('exp'); tokens that never expire are not accepted"),
            SecurityTokenInvalidLifetimeException => Refuse(TokenRefusal.Malformed,
                "token's lifetime is impossible: its 'nbf' is not before its 'exp'"),
            SecurityTokenInvalidIssuerException => Refuse(TokenRefusal.WrongIssuer,
                $"issuer {Quote(token.Issuer)} is not '{options.Issuer}'"),
            SecurityTokenInvalidAudienceException => Refuse(TokenRefusal.WrongAudience, AudienceDetail(token, options)),
            SecurityTokenSignatureKeyNotFoundException => Refuse(TokenRefusal.UnknownKey,
                $"no key {Quote(token.Kid)} in the issuer's keys ({keySource})"),
            SecurityTokenInvalidAlgorithmException => Refuse(TokenRefusal.DisallowedAlgorithm,
                $"algorithm {Quote(token.Alg)} is not accepted by the signing key or by {AuthOptions.SectionName}:{nameof(AuthOptions.Algorithms)}"),
            SecurityTokenInvalidSignatureException or SecurityTokenInvalidSigningKeyException => Refuse(TokenRefusal.BadSignature,
                $"signature does not verify with key {Quote(token.Kid)} from {keySource}: the token was altered or signed by another key"),
            _ => Refuse(TokenRefusal.Malformed, $"token refused by the JWT library ({exception.GetType().Name})"),
        };

    public static TokenValidationOutcome Refuse(TokenRefusal refusal, string detail) => TokenValidationOutcome.Refused(refusal, detail);

    /// <summary>A value from the token as a quoted, bounded, printable string, or "(none)".</summary>
    public static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "(none)";
        }

        var builder = new StringBuilder(Math.Min(value.Length, MaximumQuotedLength) + 3);
        builder.Append('\'');
        foreach (char c in value.Length > MaximumQuotedLength ? value.AsSpan(0, MaximumQuotedLength) : value.AsSpan())
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        builder.Append(value.Length > MaximumQuotedLength ? "…'" : "'");
        return builder.ToString();
    }

    /// <summary>
    /// Why a key fetch failed, in a person's words: the HTTP status the issuer answered (IdentityModel's
    /// HttpDocumentRetriever keeps it in the exception's data, its message hides the response), else
    /// the innermost exception's message, which for an unreachable issuer is the socket error.
    /// </summary>
    public static string RootCause(Exception exception)
    {
        Exception inner = exception;
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e.Data["status_code"] is HttpStatusCode status)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the server answered HTTP {(int)status} ({status})");
            }

            inner = e;
        }

        return inner.Message;
    }

    private static string AudienceDetail(JsonWebToken token, AuthOptions options)
    {
        var audiences = new List<string>();
        foreach (string audience in token.Audiences)
        {
            audiences.Add(Quote(audience));
        }

        return audiences.Count == 0
            ? $"token has no audience ('aud'); expected '{options.Audience}'"
            : $"audience {string.Join(", ", audiences)} is not '{options.Audience}'";
    }

    private static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A length of time as a person reads it ("90 seconds", "3 hours", "12 days"), sign dropped.</summary>
    internal static string Span(TimeSpan span)
    {
        double seconds = Math.Abs(span.TotalSeconds);
        return seconds switch
        {
            < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0} seconds"),
            < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0} minutes"),
            < 172800 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0} hours"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400:0} days"),
        };
    }
}
