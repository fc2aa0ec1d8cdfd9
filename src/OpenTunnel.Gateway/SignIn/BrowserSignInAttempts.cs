using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using OpenTunnel.Gateway.Auth;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// The browser sign-ins under way. An attempt starts when the gateway offers the single-sign-on
/// form: it holds the PKCE verifier of its authorization request and the key the client will
/// open the sign-in token with. When the identity provider's answer has been exchanged and the
/// access token checked, the attempt gets the check's outcome and a one-time sign-in token
/// (<see cref="Complete"/>); the client's auth-reply redeems that token once, within its
/// lifetime, for the same attempt (<see cref="Redeem"/>). Attempts live in memory only and are
/// forgotten when they expire; at most <see cref="MaxAttempts"/> are kept.
/// </summary>
public sealed class BrowserSignInAttempts(TimeProvider time)
{
    /// <summary>Bound on attempts held at once, so that a flood of forms cannot take the gateway's memory.</summary>
    public const int MaxAttempts = 20_000;

    public const string UnknownAttempt = "sso-unknown-attempt";
    public const string NotCompleted = "sso-not-completed";
    public const string WrongToken = "sso-token-wrong";
    public const string ExpiredToken = "sso-token-expired";
    public const string ReplayedToken = "sso-token-replayed";

    private readonly ConcurrentDictionary<string, Attempt> _attempts = new(StringComparer.Ordinal);

    public int Count => _attempts.Count;

    /// <summary>A new attempt for the client holding <paramref name="clientKey"/>, valid for <paramref name="lifetime"/>; null when <see cref="MaxAttempts"/> are under way.</summary>
    public BrowserSignInAttempt? Start(ECParameters clientKey, TimeSpan lifetime)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (_attempts.Count >= MaxAttempts)
        {
            Prune(now);
            if (_attempts.Count >= MaxAttempts)
            {
                return null;
            }
        }

        var attempt = new Attempt(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), clientKey, now + lifetime);
        _attempts[attempt.Id] = attempt;
        return attempt.Public;
    }

    /// <summary>The attempt the identity provider's answer names (its <c>state</c>), while it runs and has no token yet; otherwise null.</summary>
    public BrowserSignInAttempt? FindOpen(string? id)
    {
        if (id is null || !_attempts.TryGetValue(id, out Attempt? attempt))
        {
            return null;
        }

        lock (attempt)
        {
            return attempt.Outcome is null && time.GetUtcNow() < attempt.Expires ? attempt.Public : null;
        }
    }

    /// <summary>
    /// Gives the attempt the outcome of its checked access token and returns the one-time sign-in
    /// token (64 hex digits) valid for <paramref name="lifetime"/>; null when the attempt is gone,
    /// expired or completed before.
    /// </summary>
    public string? Complete(string id, TokenValidationOutcome outcome, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!_attempts.TryGetValue(id, out Attempt? attempt))
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        lock (attempt)
        {
            if (attempt.Outcome is not null || now >= attempt.Expires)
            {
                return null;
            }

            string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            attempt.Outcome = outcome;
            attempt.TokenHash = SHA256.HashData(Encoding.ASCII.GetBytes(token));
            attempt.TokenExpires = now + lifetime;
            // Kept until the token expires, so that a second use is told apart from an unknown one.
            attempt.Expires = attempt.TokenExpires;
            return token;
        }
    }

    /// <summary>
    /// The outcome for <paramref name="token"/> of attempt <paramref name="id"/>, once; otherwise
    /// the check that refused it (<see cref="UnknownAttempt"/>, <see cref="NotCompleted"/>,
    /// <see cref="WrongToken"/>, <see cref="ExpiredToken"/>, <see cref="ReplayedToken"/>) and a
    /// sentence for the log.
    /// </summary>
    public (TokenValidationOutcome? Outcome, string? Check, string? Detail) Redeem(string? id, string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (id is null || !_attempts.TryGetValue(id, out Attempt? attempt))
        {
            return (null, UnknownAttempt, "the sign-in token names no browser sign-in under way on this gateway (unknown, or forgotten after it expired)");
        }

        DateTimeOffset now = time.GetUtcNow();
        lock (attempt)
        {
            if (attempt.TokenHash is null)
            {
                return (null, NotCompleted, "a sign-in token was sent for a browser sign-in that the identity provider has not completed");
            }

            if (!CryptographicOperations.FixedTimeEquals(attempt.TokenHash, SHA256.HashData(Encoding.ASCII.GetBytes(token))))
            {
                return (null, WrongToken, "the sign-in token is not the one issued for this browser sign-in");
            }

            if (attempt.Redeemed)
            {
                return (null, ReplayedToken, "the sign-in token was used before; each is good for one sign-in");
            }

            if (now >= attempt.TokenExpires)
            {
                return (null, ExpiredToken, $"the sign-in token expired at {attempt.TokenExpires:yyyy-MM-dd'T'HH:mm:ss'Z'} (BrowserSignIn:TokenSeconds)");
            }

            attempt.Redeemed = true;
            return (attempt.Outcome, null, null);
        }
    }

    /// <summary>Forgets expired attempts.</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach ((string id, Attempt attempt) in _attempts)
        {
            if (now >= attempt.Expires)
            {
                _attempts.TryRemove(new KeyValuePair<string, Attempt>(id, attempt));
            }
        }
    }

    private sealed class Attempt(string id, string verifier, ECParameters clientKey, DateTimeOffset expires)
    {
        public string Id { get; } = id;

        public DateTimeOffset Expires { get; set; } = expires;

        public TokenValidationOutcome? Outcome { get; set; }

        public byte[]? TokenHash { get; set; }

        public DateTimeOffset TokenExpires { get; set; }

        public bool Redeemed { get; set; }

        public BrowserSignInAttempt Public { get; } = new(id, verifier, clientKey);
    }
}

/// <summary>
/// One browser sign-in as the form and the provider's answer see it: its id (the authorization
/// request's <c>state</c> and the form's opaque value), its PKCE verifier and the client's key.
/// </summary>
public sealed record BrowserSignInAttempt(string Id, string CodeVerifier, ECParameters ClientKey)
{
    /// <summary>The PKCE S256 challenge of <see cref="CodeVerifier"/> (RFC 7636 section 4.2).</summary>
    public string CodeChallenge => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(CodeVerifier)));
}
