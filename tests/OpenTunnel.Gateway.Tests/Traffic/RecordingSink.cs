using System.Collections.Concurrent;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Traffic;

/// <summary>A sink that keeps a copy of each packet and the thread that handed it over, and returns the buffer.</summary>
internal sealed class RecordingSink : IPacketSink
{
    public ConcurrentQueue<(byte[] Packet, int ThreadId)> Packets { get; } = new();

    public string Name => "DTLS";

    public bool TrySend(OutboundPacket packet)
    {
        Packets.Enqueue((packet.Payload.ToArray(), Environment.CurrentManagedThreadId));
        packet.Return();
        return true;
    }
}
