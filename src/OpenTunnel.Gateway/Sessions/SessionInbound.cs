using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// What a session's client sends, over either transport, on its way in: a data packet moves the
/// session's path to the transport it came over (ocserv worker-vpn.c: data over TLS while DTLS is
/// up means the client gave up DTLS, data over DTLS means it is back) and goes to the data plane,
/// which writes and counts it. The way out is the transports' <see cref="IPacketSink"/>s.
/// </summary>
internal sealed class SessionInbound : ICstpInbound
{
    private readonly GatewaySession _session;
    private readonly IDataPlane _dataPlane;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TcpWindowLimit? _windowLimit;

    /// <summary>
    /// <paramref name="windowLimit"/>: the windows the session's TCP flows may advertise in what
    /// arrives over the limit's <see cref="TcpWindowLimit.Transport"/> (this TLS connection, or the
    /// session's DTLS channel); null for none (no socket to read a round trip from).
    /// </summary>
    public SessionInbound(GatewaySession session, IDataPlane dataPlane, TimeProvider time, ILogger logger, TcpWindowLimit? windowLimit = null)
    {
        _session = session;
        _dataPlane = dataPlane;
        _time = time;
        _logger = logger;
        _windowLimit = windowLimit;
    }

    public void OnReceived() => _session.Traffic.MarkReceived(_time.GetTimestamp());

    public void OnDataPacket(Span<byte> packet)
    {
        if (_session.DataPath.TlsDataArrived())
        {
            DtlsLog.DataPathChanged(_logger, _session.Id, "TLS", "data arrived over TLS");
        }

        _dataPlane.FromClient(_session, Transport.Tls, packet, LimitOver(Transport.Tls));
    }

    public void OnReadIdle() => _dataPlane.DrainNow();

    /// <summary>One IP packet arrived over the session's DTLS channel (on the UDP receive thread).</summary>
    public void OnDtlsDataPacket(Span<byte> packet)
    {
        if (_session.DataPath.DtlsDataArrived())
        {
            DtlsLog.DataPathChanged(_logger, _session.Id, "DTLS", "data arrived over DTLS");
        }

        _dataPlane.FromClient(_session, Transport.Dtls, packet, LimitOver(Transport.Dtls));
    }

    private TcpWindowLimit? LimitOver(Transport transport) => _windowLimit?.Transport == transport ? _windowLimit : null;
}
