using OpenTunnel.Platform.Linux.Packets;

namespace OpenTunnel.Platform.Linux.Tun;

/// <summary>
/// Writes one thread's packets to a packet device. On a device with offloads, consecutive TCP
/// segments of one flow are held and written as one (<see cref="TcpCoalescer"/>) when the next
/// packet cannot join them or the writer is flushed: the kernel then takes a whole run in one
/// write and one pass through its stack. The caller flushes at the end of each batch it received,
/// so that nothing waits for a packet that does not come. On a device without offloads every
/// packet is written at once. Not thread-safe: one per writing thread.
/// </summary>
public sealed class CoalescingPacketWriter(IPacketDevice device)
{
    private readonly TcpCoalescer _held = new();

    /// <summary>Packets the device refused (a joined run counts as its segments).</summary>
    public long Dropped { get; private set; }

    /// <summary>Writes <paramref name="packet"/>, or holds it to join the next ones.</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        if (!device.Offloads)
        {
            WriteOne(packet);
            return;
        }

        if (_held.TryAppend(packet))
        {
            return;
        }

        Flush();
        if (!_held.TryStart(packet))
        {
            WriteOne(packet);
        }
    }

    /// <summary>Writes what is held, joined, in one write (nothing held: nothing).</summary>
    public void Flush()
    {
        if (_held.Count == 0)
        {
            return;
        }

        var packet = _held.Finish(out var header);
        if (!device.Write(header, packet))
        {
            Dropped += _held.Count;
        }

        _held.Clear();
    }

    private void WriteOne(ReadOnlySpan<byte> packet)
    {
        if (!device.Write(packet))
        {
            Dropped++;
        }
    }
}
