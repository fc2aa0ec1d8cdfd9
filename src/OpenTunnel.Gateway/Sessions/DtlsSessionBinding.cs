using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The DTLS side of one gateway session, as the DTLS listener sees it: what a ClientHello needs
/// to resume it (session id, master secret, suite), and where the listener's events go (the
/// session's <see cref="SessionDataPath"/> and the data plane). Created at the first CONNECT that
/// offers DTLS; the session id stays the same across reconnects of the same session, the master
/// secret and suite follow the latest CONNECT.
/// </summary>
public sealed class DtlsSessionBinding : IDtlsSession
{
    private readonly GatewayDtls _owner;
    private volatile byte[] _masterSecret;
    private volatile DtlsCipherSuite _suite;
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

    /// <summary>IP bytes received over DTLS, over the session's life.</summary>
    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    /// <summary>IP bytes sent over DTLS, over the session's life.</summary>
    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    public void OnDtlsEstablished(IDtlsChannel channel)
    {
        if (Session.DataPath.DtlsEstablished(channel, new DtlsPacketSink(channel, this, _owner.Counters, _owner.Time)))
        {
            DtlsLog.DataPathChanged(_owner.Logger, Session.Id, "DTLS", "DTLS established");
        }
    }

    public void OnDtlsPacket(ReadOnlySpan<byte> ipPacket)
    {
        if (Session.DataPath.DtlsDataArrived())
        {
            DtlsLog.DataPathChanged(_owner.Logger, Session.Id, "DTLS", "data arrived over DTLS");
        }

        Interlocked.Add(ref _bytesFromClient, ipPacket.Length);
        _owner.DataPlane.FromClient(Session, ipPacket);
    }

    public void OnDtlsDisconnect(ReadOnlySpan<byte> reason) => _owner.EndSession(Session, "the client disconnected over DTLS");

    public void OnDtlsClosed(IDtlsChannel channel, DtlsCloseReason reason)
    {
        if (Session.DataPath.DtlsClosed(channel))
        {
            DtlsLog.DataPathChanged(_owner.Logger, Session.Id, Session.DataPath.Sink?.Name ?? "none",
                reason == DtlsCloseReason.PeerSilent ? "DTLS silent for too long" : "DTLS closed by the client");
        }
    }

    /// <summary>The session ended: its DTLS session id is refused from now on.</summary>
    public void End() => _owner.Forget(this);

    internal void Update(byte[] masterSecret, DtlsCipherSuite suite)
    {
        _masterSecret = masterSecret;
        _suite = suite;
    }

    internal void CountToClient(int bytes) => Interlocked.Add(ref _bytesToClient, bytes);
}
