using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tunnel;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The DTLS side of one gateway session: what a ClientHello needs to resume it (session id,
/// master secret, suite), and the switching of the session's outbound packets between its DTLS
/// channel and its TLS connection (<see cref="DataPathSelector"/>). Created at the first CONNECT
/// that offers DTLS; the session id stays the same across reconnects of the same session, the
/// master secret and suite follow the latest CONNECT.
/// </summary>
public sealed class DtlsSessionBinding : IDtlsSession
{
    private readonly GatewayDtls _owner;
    private readonly DataPathSelector _path = new();
    private volatile byte[] _masterSecret;
    private volatile DtlsCipherSuite _suite;
    private volatile DtlsDataChannel? _dataChannel;
    private long _bytesFromClient;
    private long _bytesToClient;

    internal DtlsSessionBinding(GatewaySession session, GatewayDtls owner, byte[] masterSecret, DtlsCipherSuite suite)
    {
        Session = session;
        _owner = owner;
        _masterSecret = masterSecret;
        _suite = suite;
        DisplayName = $"session {session.Id} ({session.UserName})";
    }

    public GatewaySession Session { get; }

    public DtlsSessionId DtlsSessionId { get; } = DtlsSessionId.NewRandom();

    public DtlsCipherSuite DtlsCipherSuite => _suite;

    public ReadOnlySpan<byte> DtlsMasterSecret => _masterSecret;

    public string DisplayName { get; }

    /// <summary>The established DTLS channel, or null.</summary>
    public IDtlsChannel? Channel => _path.Channel;

    /// <summary>IP bytes received over DTLS, over the session's life.</summary>
    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    /// <summary>IP bytes sent over DTLS, over the session's life.</summary>
    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    public void OnDtlsEstablished(IDtlsChannel channel)
    {
        _dataChannel = new DtlsDataChannel(channel, this, _owner.Counters, _owner.Time);
        _path.DtlsEstablished(channel);
        Refresh("DTLS established");
    }

    public void OnDtlsPacket(ReadOnlySpan<byte> ipPacket)
    {
        if (_path.DtlsDataArrived())
        {
            Refresh("data arrived over DTLS");
        }

        Interlocked.Add(ref _bytesFromClient, ipPacket.Length);
        _owner.DataPlane.FromClient(Session, ipPacket);
    }

    public void OnDtlsDisconnect(ReadOnlySpan<byte> reason) => _owner.EndSession(Session, "the client disconnected over DTLS");

    public void OnDtlsClosed(IDtlsChannel channel, DtlsCloseReason reason)
    {
        if (_path.DtlsClosed(channel))
        {
            Refresh(reason == DtlsCloseReason.PeerSilent ? "DTLS silent for too long" : "DTLS closed by the client");
        }
    }

    /// <summary>A data packet arrived over TLS (called by the TLS connection for every one, so it is cheap).</summary>
    public void OnTlsData()
    {
        if (_path.TlsDataArrived())
        {
            Refresh("data arrived over TLS");
        }
    }

    /// <summary>A TLS connection was attached to the session (CONNECT, or a reconnect).</summary>
    public void OnTlsAttached() => Refresh("TLS connected");

    /// <summary>The TLS link dropped: the DTLS channel goes with it, as an ocserv worker takes both down; the client reconnects both.</summary>
    public void OnTlsDetached()
    {
        if (_path.Channel is { } channel)
        {
            _path.DtlsClosed(channel);
            channel.Close();
        }
    }

    /// <summary>The session ended: no more DTLS for it.</summary>
    public void End()
    {
        OnTlsDetached();
        _owner.Forget(this);
    }

    internal void Update(byte[] masterSecret, DtlsCipherSuite suite)
    {
        _masterSecret = masterSecret;
        _suite = suite;
    }

    internal void CountToClient(int bytes) => Interlocked.Add(ref _bytesToClient, bytes);

    /// <summary>
    /// Points the session's data channel at the path the selector prefers. The supervisor may
    /// attach or detach a TLS connection at the same moment, so the choice is made again until it
    /// was made against the connection that is still there.
    /// </summary>
    private void Refresh(string why)
    {
        while (Session.Connection is { } connection)
        {
            ISessionChannel target = _path.Preferred is { } dtls && _dataChannel is { } adapter && ReferenceEquals(adapter.Channel, dtls)
                ? adapter
                : connection.Channel;
            var before = Session.DataChannel;
            if (!ReferenceEquals(before, target))
            {
                Session.SetDataChannel(target);
                DtlsLog.DataPathChanged(_owner.Logger, Session.Id, target.Name, why);
            }

            if (ReferenceEquals(Session.Connection, connection))
            {
                return;
            }
        }
    }
}
