using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The server-side session table: cookie → session, with the session limits checked at sign-in
/// so a client over a limit is refused before it gets a cookie (ocserv max-clients and
/// max-same-clients). It is keyed by the SHA-256 of the cookie, the one form of the cookie that
/// is saved (<see cref="SessionFile"/>), so a session restored after a restart is found by the
/// cookie its client presents. <see cref="Changed"/> fires when a session comes, goes or gets an
/// address, for the file to be written again.
/// </summary>
public sealed class SessionTable
{
    /// <summary>32 random bytes, as the brief for the cookie asks; 64 hex digits on the wire.</summary>
    public const int CookieBytes = 32;

    private readonly ConcurrentDictionary<string, GatewaySession> _byCookieHash = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextId;

    public int Count => _byCookieHash.Count;

    /// <summary>A session was created, restored or removed, or got its address.</summary>
    public event Action? Changed;

    /// <summary>
    /// The SHA-256 of a cookie, lower-case hexadecimal. Not keyed: the cookie is 256 random bits,
    /// so the hash cannot be turned back into a cookie by guessing, and a key would be one more
    /// secret beside the file on the same disk.
    /// </summary>
    public static string HashCookie(string cookie)
    {
        ArgumentNullException.ThrowIfNull(cookie);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie)));
    }

    /// <summary>
    /// Creates a session for a signed-in user unless a limit refuses it; then
    /// <paramref name="refusal"/> names the limit (max-sessions or max-sessions-per-user).
    /// <paramref name="maxPerUser"/> 0 means no per-user limit. <paramref name="subject"/> is the
    /// token's <c>sub</c>, which revocations name (a user name can change; the subject cannot).
    /// </summary>
    public GatewaySession? TryCreate(string userName, string? deviceId, IPEndPoint client, DateTimeOffset now, int maxSessions, int maxPerUser, out string? refusal, string? subject = null, IReadOnlyList<string>? groups = null, bool unmanaged = false)
    {
        GatewaySession session;
        lock (_gate)
        {
            if (_byCookieHash.Count >= maxSessions)
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
            session = new GatewaySession(++_nextId, cookie, HashCookie(cookie), userName, deviceId, client, now) { Subject = subject, Groups = groups ?? [], Unmanaged = unmanaged };
            _byCookieHash[session.CookieHash] = session;
            refusal = null;
        }

        Changed?.Invoke();
        return session;
    }

    /// <summary>
    /// Puts back a session saved before a restart, under its id, away since <paramref name="now"/>
    /// (its client reconnects with its cookie). Its addresses are leased by the caller. Null when
    /// the table holds a session of that cookie or id already.
    /// </summary>
    public GatewaySession? Restore(SavedSession saved, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(saved);
        GatewaySession session;
        lock (_gate)
        {
            if (_byCookieHash.ContainsKey(saved.CookieHash) || FindById(saved.Id) is not null)
            {
                return null;
            }

            session = new GatewaySession(saved.Id, cookie: null, saved.CookieHash, saved.UserName, saved.DeviceId, saved.ClientEndPoint, saved.SignedInAt)
            {
                Subject = saved.Subject,
                Groups = saved.Groups ?? [],
                Unmanaged = saved.Unmanaged,
                IPv4Address = saved.IPv4Address,
                IPv6Address = saved.IPv6Address,
            };
            session.DataPath.AwaySince(now);
            _byCookieHash[saved.CookieHash] = session;
            _nextId = Math.Max(_nextId, saved.Id);
        }

        Changed?.Invoke();
        return session;
    }

    /// <summary>The live session of a cookie, or null when the cookie is unknown, expired or revoked.</summary>
    public GatewaySession? Find(string? cookie) =>
        cookie is not null && _byCookieHash.TryGetValue(HashCookie(cookie), out var session) && !session.Ended ? session : null;

    /// <summary>Removes the session so its cookie is refused from now on. False when it was gone already.</summary>
    public bool Remove(GatewaySession session)
    {
        bool removed;
        lock (_gate)
        {
            session.Ended = true;
            removed = _byCookieHash.TryRemove(new KeyValuePair<string, GatewaySession>(session.CookieHash, session));
        }

        if (removed)
        {
            Changed?.Invoke();
        }

        return removed;
    }

    /// <summary>Tells <see cref="Changed"/> that a session got an address (what a restart must give it back).</summary>
    public void AddressLeased() => Changed?.Invoke();

    /// <summary>Every session now, in id order.</summary>
    public IReadOnlyList<GatewaySession> Snapshot()
    {
        var list = new List<GatewaySession>(_byCookieHash.Values);
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

    private GatewaySession? FindById(long id)
    {
        foreach (var session in _byCookieHash.Values)
        {
            if (session.Id == id)
            {
                return session;
            }
        }

        return null;
    }

    private int CountOf(string userName)
    {
        int n = 0;
        foreach (var session in _byCookieHash.Values)
        {
            if (string.Equals(session.UserName, userName, StringComparison.Ordinal))
            {
                n++;
            }
        }

        return n;
    }
}
