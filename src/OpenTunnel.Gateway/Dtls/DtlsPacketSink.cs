using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The outbound side of a session's DTLS channel (the TLS connection's is <c>TlsPacketSink</c>):
/// each packet is sealed on the caller's thread (the TUN reader's) into the channel's run of
/// records, which <see cref="Flush"/> sends in one system call, without a queue since UDP has no
/// back-pressure to wait for; counted once in the session's and the gateway's counters, and its
/// buffer goes back to the pool at once.
/// </summary>
public sealed class DtlsPacketSink : IPacketSink
{
    private readonly IDtlsChannel _channel;
    private readonly SessionTraffic _traffic;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;

    public DtlsPacketSink(IDtlsChannel channel, SessionTraffic traffic, PacketCounters counters, TimeProvider time)
    {
        _channel = channel;
        _traffic = traffic;
        _counters = counters;
        _time = time;
    }

    public string Name => "DTLS";

    public bool TrySend(OutboundPacket packet)
    {
        try
        {
            if (!_channel.TrySendData(packet.Payload))
            {
                return false;
            }

            _traffic.CountToClient(Transport.Dtls, packet.Length, _time.GetTimestamp());
            _counters.CountToClient(Transport.Dtls, packet.Length);
            return true;
        }
        finally
        {
            packet.Return();
        }
    }

    public void Flush() => _channel.FlushData();
}
