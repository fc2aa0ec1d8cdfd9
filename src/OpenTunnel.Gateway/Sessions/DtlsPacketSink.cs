using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// A session's DTLS channel as the sink of its packets (<see cref="SessionDataPath"/>): each
/// packet is sealed and sent at once, on the TUN reader's thread, without a queue (UDP has no
/// back-pressure to wait for), and the buffer goes back to the pool whether or not it was sent.
/// </summary>
public sealed class DtlsPacketSink : IPacketSink
{
    private readonly IDtlsChannel _channel;
    private readonly DtlsSessionBinding _binding;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;

    public DtlsPacketSink(IDtlsChannel channel, DtlsSessionBinding binding, PacketCounters counters, TimeProvider time)
    {
        _channel = channel;
        _binding = binding;
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

            _binding.Session.Traffic.CountToClient(packet.Length, _time.GetUtcNow().UtcTicks);
            _binding.CountToClient(packet.Length);
            _counters.CountToClient(packet.Length);
            return true;
        }
        finally
        {
            packet.Return();
        }
    }
}
