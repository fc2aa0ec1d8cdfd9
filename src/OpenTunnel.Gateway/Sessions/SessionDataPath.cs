using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The one owner of a session's data path: its TLS connection, its DTLS side and channel, and
/// the sink its outbound packets take, all changed under one lock. The choice follows ocserv
/// (worker-vpn.c): TLS while no DTLS channel is up; DTLS once a handshake completed; TLS again as
/// soon as the client sends data over TLS while DTLS is up (openconnect does that when it declared
/// DTLS dead) or when the DTLS channel closed; DTLS again as soon as data arrives over DTLS; no
/// path while the client is away. The per-packet calls (<see cref="Sink"/>,
/// <see cref="TlsDataArrived"/>, <see cref="DtlsDataArrived"/>) read volatile fields and take the
/// lock only when the choice changes. Methods that change the path return true when the sink
/// changed, so the caller can log it.
/// A DTLS channel to close is handed back instead of closed under the lock: closing it takes the
/// channel's own locks, which its receive thread holds while it calls into this object.
/// </summary>
public sealed class SessionDataPath
{
    private readonly Lock _gate = new();
    private CstpConnection? _connection;
    private DtlsSessionBinding? _dtls;
    private IDtlsChannel? _dtlsChannel;
    private IPacketSink? _dtlsSink;
    private volatile bool _clientOnTls;
    private volatile IPacketSink? _sink;
    private DateTimeOffset? _connectedSince;
    private DateTimeOffset? _detachedSince;

    /// <summary>Where packets for the client go now; null while the client is away (they are dropped).</summary>
    public IPacketSink? Sink => _sink;

    /// <summary>The TLS connection now serving the session, or null while the client is away.</summary>
    public CstpConnection? Connection => Volatile.Read(ref _connection);

    /// <summary>The session's DTLS side, from the first CONNECT that offered DTLS; null while it has none.</summary>
    public DtlsSessionBinding? Dtls => Volatile.Read(ref _dtls);

    /// <summary>The established DTLS channel, whether or not it is the sink now; null without one.</summary>
    public IDtlsChannel? DtlsChannel => Volatile.Read(ref _dtlsChannel);

    /// <summary>When the current TLS link came up; null while the client is away.</summary>
    public DateTimeOffset? ConnectedSince
    {
        get
        {
            lock (_gate)
            {
                return _connectedSince;
            }
        }
    }

    /// <summary>When the last TLS link dropped; the cookie stays valid for the cookie timeout after it.</summary>
    public DateTimeOffset? DetachedSince
    {
        get
        {
            lock (_gate)
            {
                return _detachedSince;
            }
        }
    }

    /// <summary>A session restored after a restart has no link: it counts as away since <paramref name="since"/>, for the cookie timeout.</summary>
    public void AwaySince(DateTimeOffset since)
    {
        lock (_gate)
        {
            if (_connection is null)
            {
                _detachedSince = since;
            }
        }
    }

    /// <summary>Makes <paramref name="connection"/> the session's TLS link; returns the link it replaces, for the caller to close.</summary>
    public CstpConnection? AttachTls(CstpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_gate)
        {
            var previous = _connection;
            Volatile.Write(ref _connection, connection);
            _connectedSince = connection.Since;
            _detachedSince = null;
            Choose();
            return previous;
        }
    }

    /// <summary>
    /// The TLS link <paramref name="connection"/> dropped: no path until the client reconnects, and
    /// the DTLS channel goes with it, as an ocserv worker takes both down (the client reconnects
    /// both); the caller closes <paramref name="dtlsToClose"/>. False when another link had
    /// already taken its place.
    /// </summary>
    public bool DetachTls(CstpConnection connection, DateTimeOffset now, out IDtlsChannel? dtlsToClose)
    {
        lock (_gate)
        {
            dtlsToClose = null;
            if (!ReferenceEquals(_connection, connection))
            {
                return false;
            }

            Volatile.Write(ref _connection, null);
            _connectedSince = null;
            _detachedSince = now;
            dtlsToClose = TakeDtlsChannel();
            Choose();
            return true;
        }
    }

    /// <summary>The session ended: no path from now on. Returns the TLS link and the DTLS channel for the caller to close.</summary>
    public CstpConnection? End(out IDtlsChannel? dtlsToClose)
    {
        lock (_gate)
        {
            var connection = _connection;
            Volatile.Write(ref _connection, null);
            _connectedSince = null;
            dtlsToClose = TakeDtlsChannel();
            Choose();
            return connection;
        }
    }

    /// <summary>
    /// The session's DTLS side for a CONNECT that offers DTLS: the one it has, with the new secret,
    /// suite and round trip of the CONNECT's TLS connection, or a new one from <paramref name="create"/>.
    /// <paramref name="created"/> tells which.
    /// </summary>
    public DtlsSessionBinding OfferDtls(byte[] masterSecret, DtlsCipherSuite suite, Func<int?> roundTripMicroseconds, Func<DtlsSessionBinding> create, out bool created)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            if (_dtls is { } existing)
            {
                existing.Update(masterSecret, suite, roundTripMicroseconds);
                created = false;
                return existing;
            }

            var binding = create();
            Volatile.Write(ref _dtls, binding);
            created = true;
            return binding;
        }
    }

    /// <summary>A DTLS handshake completed: <paramref name="sink"/> (over <paramref name="channel"/>) becomes the path while the client has TLS.</summary>
    public bool DtlsEstablished(IDtlsChannel channel, IPacketSink sink)
    {
        lock (_gate)
        {
            Volatile.Write(ref _dtlsChannel, channel);
            _dtlsSink = sink;
            _clientOnTls = false;
            return Choose();
        }
    }

    /// <summary>The DTLS channel is gone; nothing changes when it had already been replaced by a newer one.</summary>
    public bool DtlsClosed(IDtlsChannel channel)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_dtlsChannel, channel))
            {
                return false;
            }

            TakeDtlsChannel();
            return Choose();
        }
    }

    /// <summary>A data packet came over TLS: the client moved to TLS, if it was on DTLS. Called for every packet, so it is cheap.</summary>
    public bool TlsDataArrived()
    {
        if (_clientOnTls || Volatile.Read(ref _dtlsChannel) is null)
        {
            return false;
        }

        lock (_gate)
        {
            if (_clientOnTls || _dtlsChannel is null)
            {
                return false;
            }

            _clientOnTls = true;
            return Choose();
        }
    }

    /// <summary>A data packet came over DTLS: the client is (back) on DTLS. Called for every packet, so it is cheap.</summary>
    public bool DtlsDataArrived()
    {
        if (!_clientOnTls)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_clientOnTls)
            {
                return false;
            }

            _clientOnTls = false;
            return Choose();
        }
    }

    // Under _gate.
    private IDtlsChannel? TakeDtlsChannel()
    {
        var channel = _dtlsChannel;
        Volatile.Write(ref _dtlsChannel, null);
        _dtlsSink = null;
        return channel;
    }

    // Under _gate: points the sink at the preferred path; true when it changed.
    private bool Choose()
    {
        IPacketSink? target = _connection is not { } connection
            ? null
            : _dtlsChannel is { IsOpen: true } && !_clientOnTls && _dtlsSink is { } dtls ? dtls : connection.Sink;
        if (ReferenceEquals(_sink, target))
        {
            return false;
        }

        _sink = target;
        return true;
    }
}
