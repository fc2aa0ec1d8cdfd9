using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The server-side session table: cookie → session, with the session limits checked at sign-in
/// so a client over a limit is refused before it gets a cookie (ocserv max-clients and
/// max-same-clients).
/// </summary>
public sealed class SessionTable
{
    /// <summary>32 random bytes, as the brief for the cookie asks; 64 hex digits on the wire.</summary>
    public const int CookieBytes = 32;

    private readonly ConcurrentDictionary<string, GatewaySession> _byCookie = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextId;

    public int Count => _byCookie.Count;

    /// <summary>
    /// Creates a session for a signed-in user unless a limit refuses it; then
    /// <paramref name="refusal"/> names the limit (max-sessions or max-sessions-per-user).
    /// <paramref name="maxPerUser"/> 0 means no per-user limit. <paramref name="subject"/> is the
    /// token's <c>sub</c>, which revocations name (a user name can change; the subject cannot).
    /// </summary>
    public GatewaySession? TryCreate(string userName, string? deviceId, IPEndPoint client, DateTimeOffset now, int maxSessions, int maxPerUser, out string? refusal, string? subject = null)
    {
        lock (_gate)
        {
            if (_byCookie.Count >= maxSessions)
            {
                refusal = "max-sessions";
                return null;
            }

            if (maxPerUser > 0 && CountOf(userName) >= maxPerUser)
            {
                refusal = "max-sessions-per-user";
                return null;
            }

            string cookie = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(CookieBytes));
            var session = new GatewaySession(++_nextId, cookie, userName, deviceId, client, now) { Subject = subject };
            _byCookie[cookie] = session;
            refusal = null;
            return session;
        }
    }

    /// <summary>The live session of a cookie, or null when the cookie is unknown, expired or revoked.</summary>
    public GatewaySession? Find(string? cookie) =>
        cookie is not null && _byCookie.TryGetValue(cookie, out var session) && !session.Ended ? session : null;

    /// <summary>Removes the session so its cookie is refused from now on. False when it was gone already.</summary>
    public bool Remove(GatewaySession session)
    {
        lock (_gate)
        {
            session.Ended = true;
            return _byCookie.TryRemove(new KeyValuePair<string, GatewaySession>(session.Cookie, session));
        }
    }

    /// <summary>Every session now, in id order.</summary>
    public IReadOnlyList<GatewaySession> Snapshot()
    {
        var list = new List<GatewaySession>(_byCookie.Values);
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>The sessions a CLI target names: a session id (digits), a user name or a device id.</summary>
    public IReadOnlyList<GatewaySession> FindByIdOrUser(string target)
    {
        var found = new List<GatewaySession>();
        bool isId = long.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out long id);
        foreach (var session in Snapshot())
        {
            // The identity provider's access withdrawals name the user by subject (sub) and a device by its id.
            if ((isId && session.Id == id) || string.Equals(session.UserName, target, StringComparison.Ordinal)
                || string.Equals(session.Subject, target, StringComparison.Ordinal)
                || string.Equals(session.DeviceId, target, StringComparison.Ordinal))
            {
                found.Add(session);
            }
        }

        return found;
    }

    private int CountOf(string userName)
    {
        int n = 0;
        foreach (var session in _byCookie.Values)
        {
            if (string.Equals(session.UserName, userName, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }
}
