using System.Collections.Concurrent;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway.Tests.DataPlane;

/// <summary>A packet device without a kernel: tests queue packets "from the host" and read what the data plane wrote.</summary>
internal sealed class InMemoryPacketDevice : IPacketDevice
{
    private readonly ConcurrentQueue<byte[]> _toRead = new();
    private readonly SemaphoreSlim _queued = new(0);
    private int _suspensions;

    public string Name => "memtun0";

    /// <summary>-1 (only <see cref="WaitForPacket"/> waits on this device) unless a test sets a number for a loop to attach with; nothing polls it.</summary>
    public int FileDescriptor { get; set; } = -1;

    /// <summary>SuspendWakeups calls not yet resumed (nothing waits on this device by descriptor, so the count is all there is to see).</summary>
    public int Suspensions => Volatile.Read(ref _suspensions);

    /// <summary>The most suspensions at once so far.</summary>
    public int MostSuspensions { get; private set; }

    public void SuspendWakeups()
    {
        int now = Interlocked.Increment(ref _suspensions);
        MostSuspensions = Math.Max(MostSuspensions, now);
    }

    public void ResumeWakeups()
    {
        if (Interlocked.Decrement(ref _suspensions) < 0)
        {
            throw new InvalidOperationException("ResumeWakeups without a SuspendWakeups.");
        }
    }

    /// <summary>Packets the data plane wrote (towards the host), in order.</summary>
    public BlockingCollection<byte[]> Written { get; } = [];

    /// <summary>When false, every write is refused, as the kernel refuses a packet it cannot take.</summary>
    public bool AcceptWrites { get; set; } = true;

    /// <summary>What the device reports as dropped by the host before the data plane read it (a kernel's full queue).</summary>
    public long QueueDrops { get; set; }

    /// <summary>Queues a packet as if the host routed it into the device.</summary>
    public void Inject(byte[] packet)
    {
        _toRead.Enqueue(packet);
        _queued.Release();
    }

    public int TryRead(Span<byte> buffer)
    {
        if (!_toRead.TryDequeue(out byte[]? packet))
        {
            return 0;
        }

        int length = Math.Min(packet.Length, buffer.Length);
        packet.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public bool WaitForPacket(int timeoutMs)
    {
        if (!_toRead.IsEmpty)
        {
            return true;
        }

        return _queued.Wait(timeoutMs) || !_toRead.IsEmpty;
    }

    /// <summary>Whether writes may carry virtio headers (joined TCP segments), as a TUN device with offloads.</summary>
    public bool Offloads { get; init; }

    /// <summary>The virtio header of each packet in <see cref="Written"/>, in order.</summary>
    public ConcurrentQueue<VirtioNetHeader> WrittenHeaders { get; } = [];

    public bool Write(ReadOnlySpan<byte> packet) => Write(default, packet);

    public bool Write(VirtioNetHeader header, ReadOnlySpan<byte> packet)
    {
        if (!AcceptWrites)
        {
            return false;
        }

        WrittenHeaders.Enqueue(header);
        Written.Add(packet.ToArray());
        return true;
    }
}
