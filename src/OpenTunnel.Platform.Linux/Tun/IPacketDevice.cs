namespace OpenTunnel.Platform.Linux.Tun;

/// <summary>
/// A device that carries whole IP packets, as the gateway's data plane reads and writes it:
/// <see cref="TunDevice"/> on a host, an in-memory device in tests that need no root.
/// </summary>
public interface IPacketDevice
{
    /// <summary>The interface name, for logs.</summary>
    string Name { get; }

    /// <summary>Reads one queued packet into <paramref name="buffer"/> without waiting; 0 when none is queued.</summary>
    int TryRead(Span<byte> buffer);

    /// <summary>Waits at most <paramref name="timeoutMs"/> milliseconds (-1: forever) until a packet is queued; false when the wait timed out.</summary>
    bool WaitForPacket(int timeoutMs);

    /// <summary>
    /// A file descriptor that polls readable while a packet is queued, for a caller that waits on
    /// the device together with sockets; -1 when the device has none (only <see cref="WaitForPacket"/>
    /// waits on it). It does not show the rest of a joined packet <see cref="TryRead"/> is still
    /// handing out.
    /// </summary>
    int FileDescriptor { get; }

    /// <summary>
    /// Until as many <see cref="ResumeWakeups"/>, a packet queued does not wake a waiter
    /// (<see cref="WaitForPacket"/>, a poll of <see cref="FileDescriptor"/>): for a thread that
    /// writes packets and then reads the device itself. Calls nest, from any threads.
    /// </summary>
    void SuspendWakeups();

    /// <summary>Ends one <see cref="SuspendWakeups"/>; after the last, a packet still queued wakes a waiter at once.</summary>
    void ResumeWakeups();

    /// <summary>Whether the device takes packets with work left for the kernel (a joined TCP segment, <see cref="Packets.TcpCoalescer"/>).</summary>
    bool Offloads { get; }

    /// <summary>Writes one IP packet; false when the device refused it.</summary>
    bool Write(ReadOnlySpan<byte> packet);

    /// <summary>Writes one IP packet with its virtio header (only with <see cref="Offloads"/>); false when the device refused it.</summary>
    bool Write(Packets.VirtioNetHeader header, ReadOnlySpan<byte> packet);

    /// <summary>Packets the host dropped before the reader took them, because the device's queue was full.</summary>
    long QueueDrops { get; }
}
