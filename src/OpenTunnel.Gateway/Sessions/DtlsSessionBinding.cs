using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// The DTLS side of one gateway session, as the DTLS listener sees it: what a ClientHello needs
/// to resume it (session id, master secret, suite), and where the listener's events go: a channel
/// coming or going to the session's <see cref="SessionDataPath"/>, packets to its
/// <see cref="SessionInbound"/>, which limits the windows of the session's TCP flows by what DTLS
/// carries (<see cref="TcpWindowLimit"/>). Created at the first CONNECT that offers DTLS; the
/// session id stays the same across reconnects of the same session, the master secret, the suite
/// and the TLS connection whose round trip the limit reads follow the latest CONNECT.
/// </summary>
public sealed class DtlsSessionBinding : IDtlsSession
{
    private readonly GatewayDtls _owner;
    private readonly SessionInbound _inbound;
    private volatile byte[] _masterSecret;
    private volatile DtlsCipherSuite _suite;
    private volatile Func<int?> _roundTripMicroseconds;

    /// <summary><paramref name="roundTripMicroseconds"/>: the least round trip of the CONNECT's TLS connection (null: unknown).</summary>
    internal DtlsSessionBinding(GatewaySession session, GatewayDtls owner, byte[] masterSecret, DtlsCipherSuite suite, Func<int?> roundTripMicroseconds)
    {
        Session = session;
        _owner = owner;
        _roundTripMicroseconds = roundTripMicroseconds;
        var windowLimit = new TcpWindowLimit(Transport.Dtls, () => _roundTripMicroseconds(), session.Traffic, owner.Time);
        _inbound = new SessionInbound(session, owner.DataPlane, owner.Time, owner.Logger, windowLimit);
        _masterSecret = masterSecret;
        _suite = suite;
        DisplayName = $"session {session.Id} ({session.UserName})";
    }

    public GatewaySession Session { get; }

    public DtlsSessionId DtlsSessionId { get; } = DtlsSessionId.NewRandom();

    public DtlsCipherSuite DtlsCipherSuite => _suite;

    public ReadOnlySpan<byte> DtlsMasterSecret => _masterSecret;

    public string DisplayName { get; }

    public SessionTraffic Traffic => Session.Traffic;

    /// <summary>IP bytes from the client over DTLS, over the session's life (the session's counters).</summary>
    public long BytesFromClient => Traffic.Over(Transport.Dtls).BytesFromClient;

    /// <summary>IP bytes to the client over DTLS, over the session's life (the session's counters).</summary>
    public long BytesToClient => Traffic.Over(Transport.Dtls).BytesToClient;

    public void OnDtlsEstablished(IDtlsChannel channel)
    {
        if (Session.DataPath.DtlsEstablished(channel, new DtlsPacketSink(channel, Traffic, _owner.Counters, _owner.Time)))
        {
            DtlsLog.DataPathChanged(_owner.Logger, Session.Id, "DTLS", "DTLS established");
        }
    }

    public void OnDtlsPacket(Span<byte> ipPacket) => _inbound.OnDtlsDataPacket(ipPacket);

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

    internal void Update(byte[] masterSecret, DtlsCipherSuite suite, Func<int?> roundTripMicroseconds)
    {
        _masterSecret = masterSecret;
        _suite = suite;
        _roundTripMicroseconds = roundTripMicroseconds;
    }
}
