using System.Collections.Concurrent;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Continuous access evaluation at the gateway: a user name or device id whose access was revoked
/// (the control API's <c>revoke</c>, sent by the management agent) at a moment T. Until the
/// retention passes, a token of that user or device issued before T is refused at sign-in, so a
/// client cannot come back with the token it already holds; a token issued after T (the identity
/// provider let the user in again) is accepted. A token without <c>iat</c> counts as issued before.
/// Kept in memory: the retention covers the lifetime of the tokens a gateway accepts.
/// </summary>
public sealed class AccessRevocations(TimeProvider time)
{
    /// <summary>How long a revocation is remembered; longer than any access token the gateway accepts should live.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedAt = new(StringComparer.Ordinal);

    public int Count => _revokedAt.Count;

    /// <summary>Records that the target's access was revoked now; the moment recorded.</summary>
    public DateTimeOffset Revoke(string target)
    {
        DateTimeOffset now = time.GetUtcNow();
        _revokedAt[target] = now;
        Prune(now);
        return now;
    }

    /// <summary>When the access of the user or the device that a token names was revoked after the token was issued; null when it was not.</summary>
    public DateTimeOffset? RevokedAfterIssue(string user, string? device, DateTimeOffset? issuedAt)
    {
        DateTimeOffset? revoked = Lookup(user);
        if (device is not null && Lookup(device) is { } deviceRevoked && (revoked is null || deviceRevoked > revoked))
        {
            revoked = deviceRevoked;
        }

        return revoked is { } at && (issuedAt is null || issuedAt < at) ? at : null;
    }

    private DateTimeOffset? Lookup(string target) =>
        _revokedAt.TryGetValue(target, out DateTimeOffset at) && time.GetUtcNow() - at < Retention ? at : null;

    private void Prune(DateTimeOffset now)
    {
        foreach ((string target, DateTimeOffset at) in _revokedAt)
        {
            if (now - at >= Retention)
            {
                _revokedAt.TryRemove(new KeyValuePair<string, DateTimeOffset>(target, at));
            }
        }
    }
}
