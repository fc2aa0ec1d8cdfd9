using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Tunnel;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// A DTLS channel in the place the TUN reader sends a session's packets to
/// (<see cref="GatewaySession.SetDataChannel"/>): each packet is sealed and sent at once, on the
/// TUN reader's thread, without a queue (UDP has no back-pressure to wait for), and the buffer
/// goes back to the pool whether or not it was sent.
/// </summary>
internal sealed class DtlsDataChannel : ISessionChannel
{
    private readonly DtlsSessionBinding _binding;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;

    public DtlsDataChannel(IDtlsChannel channel, DtlsSessionBinding binding, PacketCounters counters, TimeProvider time)
    {
        Channel = channel;
        _binding = binding;
        _counters = counters;
        _time = time;
    }

    public IDtlsChannel Channel { get; }

    public string Name => "DTLS";

    public bool TrySend(OutboundPacket packet)
    {
        try
        {
            if (!Channel.TrySendData(packet.Payload))
            {
                return false;
            }

            _binding.Session.CountToClient(packet.Length, _time.GetUtcNow().UtcTicks);
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
