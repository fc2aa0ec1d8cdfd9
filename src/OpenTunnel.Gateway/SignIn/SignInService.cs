using System.Net;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Turns a presented access token into a session, or refuses it. Checks run in this order: drain,
/// the per-address rate limit, the token (auth plugin), revocations, access for unmanaged devices, then the session limits; each refusal writes
/// one log line naming the check and the client address, never the token, and is counted. A
/// refusal of a token that is not a genuine token for this gateway (see <see cref="EarnsBanPoints"/>)
/// adds ban points to the client (<see cref="Bans"/>).
/// </summary>
public sealed class SignInService
{
    private readonly SessionTable _sessions;
    private readonly AuthRateLimiter _rateLimiter;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _draining;

    public SignInService(SessionTable sessions, AuthRateLimiter rateLimiter, AccessRevocations revocations, BanList bans, GatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        Revocations = revocations;
        Bans = bans;
        BrowserAttempts = new BrowserSignInAttempts(time);
        _sessions = sessions;
        _rateLimiter = rateLimiter;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Users and devices whose access was revoked: their tokens issued before are refused.</summary>
    public AccessRevocations Revocations { get; }

    /// <summary>The browser sign-ins under way (<see cref="BrowserSignIn"/>).</summary>
    public BrowserSignInAttempts BrowserAttempts { get; }

    /// <summary>Ban scores and bans of client addresses; the listener refuses banned clients before the TLS handshake.</summary>
    public BanList Bans { get; }

    /// <summary>
    /// While true no new session is made (the control API's drain, for a rolling upgrade); sessions
    /// that exist keep running and their clients may reconnect with their cookies.
    /// </summary>
    public bool Draining
    {
        get => Volatile.Read(ref _draining);
        set => Volatile.Write(ref _draining, value);
    }

    /// <summary>
    /// The session for a valid token within the limits, or null after logging why not. A token of an
    /// unmanaged device is taken only with <paramref name="unmanagedAccess"/> (Network:UnmanagedAccess set).
    /// </summary>
    public async Task<GatewaySession?> SignInAsync(string token, IPEndPoint client, IAccessTokenValidator validator, LimitOptions limits, bool unmanagedAccess, CancellationToken cancellationToken)
    {
        if (!Admissible(client, limits))
        {
            return null;
        }

        var outcome = await CheckTokenAsync(token, client, validator, limits, cancellationToken);
        return outcome is null ? null : Admit(outcome, client, limits, unmanagedAccess);
    }

    /// <summary>
    /// The token check alone (the browser sign-in runs it when the identity provider's answer
    /// comes back, before any session is asked for): the outcome of a valid token, or null after
    /// logging and counting the refusal.
    /// </summary>
    public async Task<TokenValidationOutcome?> CheckTokenAsync(string token, IPEndPoint client, IAccessTokenValidator validator, LimitOptions limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(limits);
        var outcome = await validator.ValidateAsync(token, cancellationToken);
        if (!outcome.Succeeded)
        {
            Refuse(client, "token-" + CheckName(outcome.Refusal), outcome.Detail);
            if (EarnsBanPoints(outcome.Refusal))
            {
                Penalize(client.Address, limits.BanPointsRefusedSignIn, limits, "a token refused by check " + CheckName(outcome.Refusal));
            }

            return null;
        }

        return outcome;
    }

    /// <summary>
    /// The session for a one-time browser sign-in token (<see cref="BrowserSignInAttempts.Redeem"/>),
    /// or null after logging why not: a token that is unknown, wrong, expired or used before is
    /// refused and counted as <c>sso-token-*</c>; a wrong one earns ban points as a forged token does.
    /// </summary>
    public GatewaySession? SignInWithBrowserToken(string? attempt, string token, IPEndPoint client, LimitOptions limits, bool unmanagedAccess)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (!Admissible(client, limits))
        {
            return null;
        }

        var redeemed = BrowserAttempts.Redeem(attempt, token);
        if (redeemed.Outcome is not { } outcome)
        {
            Refuse(client, redeemed.Check!, redeemed.Detail!);
            if (redeemed.Check == BrowserSignInAttempts.WrongToken)
            {
                Penalize(client.Address, limits.BanPointsRefusedSignIn, limits, "a browser sign-in token refused by check " + redeemed.Check);
            }

            return null;
        }

        return Admit(outcome, client, limits, unmanagedAccess);
    }

    /// <summary>False after logging why when no sign-in is taken now from <paramref name="client"/>: the drain, or the rate limit.</summary>
    private bool Admissible(IPEndPoint client, LimitOptions limits)
    {
        if (Draining)
        {
            Refuse(client, "draining", "the gateway is draining: it takes no new sessions until the drain ends");
            return false;
        }

        if (!_rateLimiter.TryAcquire(client.Address, limits.AuthAttemptsPerMinute))
        {
            Refuse(client, "rate-limit", $"more than {limits.AuthAttemptsPerMinute} token checks from this address within a minute (Limits:AuthAttemptsPerMinute)");
            return false;
        }

        return true;
    }

    /// <summary>The session for the user and device of a valid token, unless revoked, of an unmanaged device without <paramref name="unmanagedAccess"/>, or over the limits.</summary>
    private GatewaySession? Admit(TokenValidationOutcome outcome, IPEndPoint client, LimitOptions limits, bool unmanagedAccess)
    {
        string user = outcome.UserName ?? outcome.Subject ?? "unknown";
        // Only the token names the device: the <device-id> of the auth XML is the client's
        // platform ("linux-64", openconnect auth.c), not a device identity.
        string? device = outcome.DeviceId;
        if (Revocations.RevokedAfterIssue(user, device, outcome.IssuedAt, outcome.Subject) is { } revokedAt)
        {
            string issued = outcome.IssuedAt is { } at ? $"issued {at:yyyy-MM-dd'T'HH:mm:ss'Z'}" : "without 'iat'";
            return Refuse(client, "revoked",
                $"the access of user {user}{(device is null ? "" : $" or device {device}")} was revoked at {revokedAt:yyyy-MM-dd'T'HH:mm:ss'Z'} and this token was {issued}; a new sign-in is needed");
        }

        if (outcome.Unmanaged && !unmanagedAccess)
        {
            return Refuse(client, "unmanaged-device",
                $"the token of {user} is for an unmanaged device (claim '{TokenValidationOutcome.ComplianceClaim}' is '{TokenValidationOutcome.UnmanagedDevice}': signed in without an enrolled device), and this gateway gives unmanaged devices no access (Network:UnmanagedAccess is not set)");
        }

        var session = _sessions.TryCreate(user, device, client, _time.GetUtcNow(), limits.MaxSessions, limits.MaxSessionsPerUser, out string? refusal, outcome.Subject, outcome.Groups, outcome.Unmanaged);
        if (session is null)
        {
            string detail = refusal == "max-sessions"
                ? $"the gateway holds its maximum of {limits.MaxSessions} sessions (Limits:MaxSessions)"
                : $"user {user} holds the maximum of {limits.MaxSessionsPerUser} sessions (Limits:MaxSessionsPerUser)";
            return Refuse(client, refusal!, detail);
        }

        _metrics.SignIn("success", "none");
        GatewayLog.SignedIn(_logger, user, device ?? "-", client.Address, session.Id);
        return session;
    }

    /// <summary>The check name of a token refusal in logs and metrics, for example wrong-audience.</summary>
    public static string CheckName(TokenRefusal refusal) => refusal switch
    {
        TokenRefusal.Malformed => "malformed",
        TokenRefusal.Expired => "expired",
        TokenRefusal.NotYetValid => "not-yet-valid",
        TokenRefusal.WrongIssuer => "wrong-issuer",
        TokenRefusal.WrongAudience => "wrong-audience",
        TokenRefusal.BadSignature => "bad-signature",
        TokenRefusal.UnknownKey => "unknown-key",
        TokenRefusal.DisallowedAlgorithm => "disallowed-algorithm",
        TokenRefusal.MissingClaim => "missing-claim",
        TokenRefusal.KeysUnavailable => "keys-unavailable",
        TokenRefusal.WrongSite => "wrong-site",
        TokenRefusal.WrongType => "wrong-type",
        _ => refusal.ToString(),
    };

    /// <summary>
    /// True for a refusal that says the token is not a genuine token for this gateway: it does not
    /// parse, its signature or key or algorithm is not ours, or it was issued by or for someone
    /// else. A genuine token refused by policy (expired, not yet valid, a missing claim, another
    /// site, a revoked user) earns nothing, so an office behind one address whose users wake
    /// their laptops with stale tokens is not banned; nor does a failure of the gateway's own
    /// (keys unavailable).
    /// </summary>
    public static bool EarnsBanPoints(TokenRefusal refusal) => refusal is TokenRefusal.Malformed or TokenRefusal.BadSignature or TokenRefusal.UnknownKey
        or TokenRefusal.DisallowedAlgorithm or TokenRefusal.WrongIssuer or TokenRefusal.WrongAudience or TokenRefusal.WrongType;

    /// <summary>
    /// Adds <paramref name="points"/> to the ban score of <paramref name="client"/> for
    /// <paramref name="reason"/>; when that bans it, logs and counts the ban.
    /// </summary>
    public void Penalize(IPAddress client, int points, LimitOptions limits, string reason)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(limits);
        if (Bans.AddPoints(client, points, BanPolicy.From(limits)) is { } until)
        {
            _metrics.Banned();
            GatewayLog.ClientBanned(_logger, ClientAddressKey.From(client).ToString(), reason, limits.BanScore, until);
        }
    }

    /// <summary>Clears the score and any ban of <paramref name="client"/> (the control API's unban); false when the table held nothing for it.</summary>
    public bool Unban(ClientAddressKey client)
    {
        if (!Bans.Unban(client))
        {
            return false;
        }

        GatewayLog.ClientUnbanned(_logger, client.ToString());
        return true;
    }

    /// <summary>Logs and counts a refusal that happened outside the token check (the browser sign-in's own checks).</summary>
    public void Refused(IPEndPoint client, string check, string detail)
    {
        ArgumentNullException.ThrowIfNull(client);
        Refuse(client, check, detail);
    }

    private GatewaySession? Refuse(IPEndPoint client, string check, string detail)
    {
        _metrics.SignIn("refused", check);
        GatewayLog.SignInRefused(_logger, client.Address, check, detail);
        return null;
    }
}
