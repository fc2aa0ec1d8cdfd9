using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The life of a session after sign-in: attaching a TLS connection at CONNECT (leasing its
/// address the first time), detaching when the link drops (the cookie stays valid for the
/// reconnect), and ending it (logout, terminate, timeouts, cookie expiry), which frees the
/// address and revokes the cookie. Its lock covers the address leases and the session table;
/// where the session's packets go is its <see cref="SessionDataPath"/>'s own business.
/// </summary>
public sealed class SessionSupervisor
{
    private readonly Lock _gate = new();
    private readonly SessionTable _sessions;
    private readonly IPv4AddressPool _pool;
    private readonly IPv6AddressPool? _pool6;
    private readonly IDataPlane _dataPlane;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ISessionFirewall? _firewall;

    public SessionSupervisor(SessionTable sessions, IPv4AddressPool pool, IPv6AddressPool? pool6, IDataPlane dataPlane, PacketCounters counters, TimeProvider time, ILogger logger, ISessionFirewall? firewall = null)
    {
        _firewall = firewall;
        _sessions = sessions;
        _pool = pool;
        _pool6 = pool6;
        _dataPlane = dataPlane;
        _counters = counters;
        _time = time;
        _logger = logger;
    }

    /// <summary>The address pool sessions lease from.</summary>
    public IPv4AddressPool Pool => _pool;

    /// <summary>Every session that ended, until the management agent takes it for the access log.</summary>
    public EndedSessionJournal EndedSessions { get; } = new();

    /// <summary>
    /// A CSTP connection for <paramref name="session"/> on <paramref name="stream"/> after its
    /// CONNECT: what it reads goes to the session and the data plane, what the session sends is
    /// queued on it. Not attached yet (<see cref="TryAttach"/>). <paramref name="roundTrip"/> reads
    /// the TCP connection's round trip (µs), from which the windows of the session's TCP flows are
    /// limited while it carries them (<see cref="TcpWindowLimit"/>; the data plane applies the limit
    /// while Network:TlsWindowClamp is on); null: not limited.
    /// </summary>
    public CstpConnection NewConnection(GatewaySession session, Stream stream, ConnectionReader reader, System.Net.IPEndPoint client, int maxQueuedPackets, Func<int?>? roundTrip)
    {
        ArgumentNullException.ThrowIfNull(session);
        var windowLimit = roundTrip is null ? null : new TcpWindowLimit(Transport.Tls, roundTrip, session.Traffic, _time);
        return new CstpConnection(new SessionInbound(session, _dataPlane, _time, _logger, windowLimit), stream, reader, client, session.Traffic, _counters, _time, maxQueuedPackets);
    }

    /// <summary>
    /// Makes <paramref name="connection"/> the session's link and its data path. False when the
    /// session has no address yet and the pool is exhausted. A link the session had before (a
    /// reconnect the gateway had not noticed as a drop) is closed.
    /// </summary>
    public bool TryAttach(GatewaySession session, CstpConnection connection, ConnectRequest request, out bool reconnect)
    {
        CstpConnection? previous;
        lock (_gate)
        {
            reconnect = session.IPv4Address != 0;
            if (session.Ended)
            {
                return false;
            }

            bool leased = false;
            if (session.IPv4Address == 0)
            {
                if (!_pool.TryLease(out uint address))
                {
                    return false;
                }

                session.IPv4Address = address;
                leased = true;
            }

            // IPv6 is extra: a client that asked for it gets an address while the IPv6 pool has
            // one, and carries on with IPv4 alone otherwise.
            if (_pool6 is not null && request.WantsIPv6 && session.IPv6Address == Ipv6Number.Zero && _pool6.TryLease(out Ipv6Number address6))
            {
                session.IPv6Address = address6;
                leased = true;
            }

            if (leased)
            {
                _sessions.AddressLeased();
            }

            session.ClientEndPoint = connection.Client;
            session.ConnectRequest = request;
            session.Traffic.MarkAttached(_time.GetTimestamp());
            previous = session.DataPath.AttachTls(connection);
            _dataPlane.Register(session);
        }

        previous?.Close("replaced by a new connection of the same session");
        return true;
    }

    /// <summary>
    /// Installs the session's firewall rules (its routes, Network:GroupPolicies) after
    /// <see cref="TryAttach"/>, outside the supervisor's lock and without holding the caller's
    /// thread while nft runs; null when done, else why not (nft refused).
    /// </summary>
    public async Task<string?> EnforceAsync(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            if (_firewall is not null)
            {
                await _firewall.AdmitAsync(session);
            }

            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Puts back a session saved before a restart with the addresses it held, so its client's
    /// reconnect with its cookie gets the same address (openconnect gives up when the address
    /// changes). Null, with <paramref name="refusal"/> saying why, when an address is no longer in
    /// the pool or taken, or the session is in the table already.
    /// </summary>
    public GatewaySession? Restore(SavedSession saved, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(saved);
        lock (_gate)
        {
            if (saved.IPv4Address != 0 && !_pool.TryLease(saved.IPv4Address))
            {
                refusal = $"its address {IPv4AddressPool.ToAddress(saved.IPv4Address)} is not free in the pool {_pool.Network}";
                return null;
            }

            if (saved.IPv6Address != Ipv6Number.Zero && _pool6?.TryLease(saved.IPv6Address) != true)
            {
                ReleaseLeases(saved.IPv4Address, Ipv6Number.Zero);
                refusal = $"its IPv6 address {saved.IPv6Address.ToAddress()} is not free in the IPv6 pool {_pool6?.Network.ToString() ?? "(none)"}";
                return null;
            }

            var session = _sessions.Restore(saved, _time.GetUtcNow());
            if (session is null)
            {
                ReleaseLeases(saved.IPv4Address, saved.IPv6Address);
                refusal = $"session {saved.Id} or its cookie is in the table already";
                return null;
            }

            refusal = null;
            return session;
        }
    }

    /// <summary>
    /// Called when a session's link ended. A client that sent DISCONNECT logged out: its session
    /// ends. Otherwise the session waits for a reconnect for the cookie timeout.
    /// </summary>
    public async Task ConnectionEndedAsync(GatewaySession session, CstpConnection connection, string reason, int cookieTimeoutSeconds)
    {
        if (connection.ClientDisconnected)
        {
            await EndAsync(session, reason, notify: null);
            return;
        }

        if (!session.DataPath.DetachTls(connection, _time.GetUtcNow(), out var dtls))
        {
            return;
        }

        dtls?.Close();

        GatewayLog.Detached(_logger, session.Id, session.UserName, connection.Client, reason, _time.GetUtcNow() - connection.Since,
            session.BytesFromClient, session.BytesToClient, cookieTimeoutSeconds);
    }

    /// <summary>
    /// Ends a session: its cookie is refused from now on, its address goes back to the pool, and
    /// a connected client is told with <paramref name="notify"/> (DISCONNECT or TERMINATE) first.
    /// </summary>
    public async Task EndAsync(GatewaySession session, string reason, CstpPacketType? notify)
    {
        CstpConnection? connection;
        IDtlsChannel? dtls;
        lock (_gate)
        {
            if (!_sessions.Remove(session))
            {
                return;
            }

            connection = session.DataPath.End(out dtls);
            _dataPlane.Unregister(session);
        }

        dtls?.Close();
        session.DataPath.Dtls?.End();
        try
        {
            if (_firewall is not null)
            {
                await _firewall.ReleaseAsync(session);
            }
        }
        catch (InvalidOperationException e)
        {
            GatewayLog.FirewallFailed(_logger, $"the rules of session {session.Id} were not removed: {e.Message}");
        }

        // Only now may another session lease these addresses: the rules naming them are gone, so
        // removing them can never take away a newcomer's.
        lock (_gate)
        {
            ReleaseLeases(session.IPv4Address, session.IPv6Address);
        }

        EndedSessions.Add(session, reason, _time.GetUtcNow());
        GatewayLog.SessionEnded(_logger, session.Id, session.UserName, reason, IPv4AddressPool.ToAddress(session.IPv4Address), session.ClientEndPoint,
            _time.GetUtcNow() - session.SignedInAt, session.BytesFromClient, session.BytesToClient);
        if (connection is not null)
        {
            if (notify is { } type)
            {
                await connection.SendFinalFrameAndCloseAsync(type, reason);
            }
            else
            {
                connection.Close(reason);
            }
        }
    }

    /// <summary>Why a session of an unmanaged device ends when the configuration no longer gives such devices access.</summary>
    public const string UnmanagedAccessWithdrawn = "unmanaged devices no longer have access (Network:UnmanagedAccess is not set)";

    /// <summary>
    /// Applies the timeouts: closes links silent for twice the DPD interval (the client then
    /// reconnects, as openconnect does after 2 × DPD), and ends sessions whose cookie expired
    /// while away, that were idle too long, or that reached the session timeout. Silence and
    /// idleness are measured on the monotonic clock, so a step of the wall clock changes neither;
    /// the cookie and session timeouts are wall-clock times (a session's sign-in time is saved
    /// across restarts), see docs/reliability.md, "Clock jump". Without <paramref name="unmanagedAccess"/>
    /// (Network:UnmanagedAccess removed by a reload, or absent after a restart) the sessions of unmanaged devices end.
    /// </summary>
    public async Task SweepAsync(TimeoutOptions timeouts, bool unmanagedAccess)
    {
        DateTimeOffset now = _time.GetUtcNow();
        long timestamp = _time.GetTimestamp();
        foreach (var session in _sessions.Snapshot())
        {
            if (session.Unmanaged && !unmanagedAccess)
            {
                await EndAsync(session, UnmanagedAccessWithdrawn, CstpPacketType.Disconnect);
                continue;
            }

            var connection = session.Connection;
            if (connection is null)
            {
                DateTimeOffset away = session.DataPath.DetachedSince ?? session.SignedInAt;
                if (now - away > TimeSpan.FromSeconds(timeouts.CookieTimeoutSeconds))
                {
                    await EndAsync(session, "cookie expired without a reconnect", notify: null);
                }

                continue;
            }

            if (timeouts.SessionTimeoutSeconds > 0 && now - session.SignedInAt > TimeSpan.FromSeconds(timeouts.SessionTimeoutSeconds))
            {
                await EndAsync(session, "session timeout", CstpPacketType.Disconnect);
            }
            else if (timeouts.IdleTimeoutSeconds > 0 && Since(session.Traffic.LastDataTimestamp, timestamp) > TimeSpan.FromSeconds(timeouts.IdleTimeoutSeconds))
            {
                await EndAsync(session, "idle timeout", CstpPacketType.Disconnect);
            }
            else if (Since(session.Traffic.LastReceivedTimestamp, timestamp) is var silent && silent > TimeSpan.FromSeconds((2 * timeouts.DpdSeconds) + 5))
            {
                connection.Close($"dead peer: nothing received for {silent.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Monotonic time from <paramref name="then"/> to <paramref name="now"/> (zero when <paramref name="then"/> is unset).</summary>
    private TimeSpan Since(long then, long now) => then == 0 ? TimeSpan.Zero : _time.GetElapsedTime(then, now);

    /// <summary>Closes the links of the sessions named by id or user; their cookies stay valid (occtl disconnect).</summary>
    public int Disconnect(string target)
    {
        var found = _sessions.FindByIdOrUser(target);
        foreach (var session in found)
        {
            session.Connection?.Close("disconnected by the administrator");
        }

        return found.Count;
    }

    /// <summary>Ends the sessions named by id or user and revokes their cookies (occtl terminate).</summary>
    public async Task<int> TerminateAsync(string target, DateTimeOffset? signedInBefore = null)
    {
        int ended = 0;
        foreach (var session in _sessions.FindByIdOrUser(target))
        {
            // A revocation delivered late spares the sessions signed in after it.
            if (signedInBefore is { } before && session.SignedInAt >= before)
            {
                continue;
            }

            await EndAsync(session, "terminated by the administrator", CstpPacketType.Disconnect);
            ended++;
        }

        return ended;
    }

    /// <summary>Tells every connected client the gateway terminates and ends every session.</summary>
    public async Task TerminateAllAsync()
    {
        var all = _sessions.Snapshot();
        var endings = new List<Task>(all.Count);
        foreach (var session in all)
        {
            endings.Add(EndAsync(session, "gateway stopping", CstpPacketType.Terminate));
        }

        await Task.WhenAll(endings);
    }

    private void ReleaseLeases(uint address, Ipv6Number address6)
    {
        if (address != 0)
        {
            _pool.Release(address);
        }

        if (address6 != Ipv6Number.Zero)
        {
            _pool6?.Release(address6);
        }
    }
}
