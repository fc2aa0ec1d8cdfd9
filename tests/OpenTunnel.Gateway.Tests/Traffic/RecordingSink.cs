using System.Collections.Concurrent;
using OpenTunnel.Gateway.Traffic;

namespace OpenTunnel.Gateway.Tests.Traffic;

/// <summary>A sink that keeps a copy of each packet and the thread that handed it over, returns the buffer, and counts flushes.</summary>
internal sealed class RecordingSink : IPacketSink
{
    private int _flushes;

    public ConcurrentQueue<(byte[] Packet, int ThreadId)> Packets { get; } = new();

    /// <summary>How many times the sink was flushed, and how many packets it held at the last flush.</summary>
    public (int Count, int PacketsAtLast) Flushes { get; private set; }

    public string Name => "DTLS";

    public bool TrySend(OutboundPacket packet)
    {
        Packets.Enqueue((packet.Payload.ToArray(), Environment.CurrentManagedThreadId));
        packet.Return();
        return true;
    }

    public void Flush() => Flushes = (++_flushes, Packets.Count);
}
