using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>The session's side of one TLS connection: what arrives over it goes to the data plane, and data over TLS moves the path to TLS.</summary>
internal sealed class SessionInbound : ICstpInbound
{
    private readonly GatewaySession _session;
    private readonly IDataPlane _dataPlane;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SessionInbound(GatewaySession session, IDataPlane dataPlane, TimeProvider time, ILogger logger)
    {
        _session = session;
        _dataPlane = dataPlane;
        _time = time;
        _logger = logger;
    }

    public void OnReceived() => _session.Traffic.MarkReceived(_time.GetUtcNow().UtcTicks);

    public void OnDataPacket(ReadOnlySpan<byte> packet)
    {
        // ocserv: data over TLS while DTLS is up means the client gave up DTLS; answer over TLS too.
        if (_session.DataPath.TlsDataArrived())
        {
            DtlsLog.DataPathChanged(_logger, _session.Id, "TLS", "data arrived over TLS");
        }

        _dataPlane.FromClient(_session, packet);
    }

    public void OnReadIdle() => _dataPlane.DrainNow();
}
