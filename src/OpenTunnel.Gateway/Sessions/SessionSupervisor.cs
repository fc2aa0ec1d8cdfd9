using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Tunnel;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The life of a session after sign-in: attaching a TLS connection at CONNECT (leasing its
/// address the first time), detaching when the link drops (the cookie stays valid for the
/// reconnect), and ending it (logout, terminate, timeouts, cookie expiry), which frees the
/// address and revokes the cookie.
/// </summary>
public sealed class SessionSupervisor
{
    private readonly Lock _gate = new();
    private readonly SessionTable _sessions;
    private readonly IPv4AddressPool _pool;
    private readonly IPv6AddressPool? _pool6;
    private readonly TunDataPlane _dataPlane;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SessionSupervisor(SessionTable sessions, IPv4AddressPool pool, IPv6AddressPool? pool6, TunDataPlane dataPlane, TimeProvider time, ILogger logger)
    {
        _sessions = sessions;
        _pool = pool;
        _pool6 = pool6;
        _dataPlane = dataPlane;
        _time = time;
        _logger = logger;
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

            if (session.IPv4Address == 0)
            {
                if (!_pool.TryLease(out uint address))
                {
                    return false;
                }

                session.IPv4Address = address;
            }

            // IPv6 is extra: a client that asked for it gets an address while the IPv6 pool has
            // one, and carries on with IPv4 alone otherwise.
            if (_pool6 is not null && request.WantsIPv6 && session.IPv6Address == UInt128.Zero && _pool6.TryLease(out UInt128 address6))
            {
                session.IPv6Address = address6;
            }

            previous = session.Connection;
            session.Connection = connection;
            session.ClientEndPoint = connection.Client;
            session.ConnectRequest = request;
            session.ConnectedSince = connection.Since;
            session.DetachedSince = null;
            session.MarkReceived(_time.GetUtcNow().UtcTicks);
            session.SetDataChannel(connection.Channel);
            _dataPlane.Register(session);
        }

        previous?.Close("replaced by a new connection of the same session");
        session.Dtls?.OnTlsAttached();
        return true;
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

        lock (_gate)
        {
            if (session.Connection != connection)
            {
                return;
            }

            session.Connection = null;
            session.ConnectedSince = null;
            session.DetachedSince = _time.GetUtcNow();
            session.SetDataChannel(null);
        }

        session.Dtls?.OnTlsDetached();

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
        lock (_gate)
        {
            if (!_sessions.Remove(session))
            {
                return;
            }

            connection = session.Connection;
            session.Connection = null;
            session.SetDataChannel(null);
            _dataPlane.Unregister(session);
            if (session.IPv4Address != 0)
            {
                _pool.Release(session.IPv4Address);
            }

            if (session.IPv6Address != UInt128.Zero)
            {
                _pool6?.Release(session.IPv6Address);
            }
        }

        session.Dtls?.End();

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

    /// <summary>
    /// Applies the timeouts: closes links silent for twice the DPD interval (the client then
    /// reconnects, as openconnect does after 2 × DPD), and ends sessions whose cookie expired
    /// while away, that were idle too long, or that reached the session timeout.
    /// </summary>
    public async Task SweepAsync(TimeoutOptions timeouts)
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (var session in _sessions.Snapshot())
        {
            var connection = session.Connection;
            if (connection is null)
            {
                DateTimeOffset away = session.DetachedSince ?? session.SignedInAt;
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
            else if (timeouts.IdleTimeoutSeconds > 0 && now - session.LastData > TimeSpan.FromSeconds(timeouts.IdleTimeoutSeconds))
            {
                await EndAsync(session, "idle timeout", CstpPacketType.Disconnect);
            }
            else if (now - session.LastReceived > TimeSpan.FromSeconds((2 * timeouts.DpdSeconds) + 5))
            {
                connection.Close($"dead peer: nothing received for {(now - session.LastReceived).TotalSeconds:0} s");
            }
        }
    }

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
}
