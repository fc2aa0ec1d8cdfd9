using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using OpenTunnel.Platform.Linux.Packets;
using static OpenTunnel.Platform.Linux.Tun.LinuxInterop;

namespace OpenTunnel.Platform.Linux.Tun;

/// <summary>
/// A Linux TUN device in IFF_TUN | IFF_NO_PI mode: every read and write is one whole IP packet,
/// with no packet-information prefix. The device lives in the network namespace of the thread
/// that creates it; the file descriptor keeps working from any thread afterwards.
/// With <c>offload</c> (IFF_VNET_HDR and TUNSETOFFLOAD with checksum and TCP segmentation
/// offload) the kernel may hand over a TCP segment of up to 64 KB in one read, as it would to a
/// network card: the stack forwards one large packet instead of dozens. <see cref="TryRead"/>
/// still returns one packet of at most the caller's buffer at a time, cutting such a segment
/// (<see cref="TcpSegmenter"/>) and finishing partial checksums; a write may hand the kernel a
/// joined TCP segment the same way (<see cref="TcpCoalescer"/>). A packet it cannot cut or finish is dropped and counted in <see cref="DroppedReads"/>.
/// Reads are for one thread at a time.
/// </summary>
public sealed class TunDevice : IPacketDevice, IDisposable
{
    private const int MaxOffloadedPacket = VirtioNetHeader.Length + ushort.MaxValue;

    private readonly byte[] _offloaded;

    /// <summary>The interface table of the namespace the device was made in (see <see cref="QueueDrops"/>); null when /proc cannot be read.</summary>
    private readonly SafeFileHandle? _statistics;
    private int _fd;

    /// <summary>An epoll set holding only <see cref="_fd"/>: what waiters poll (<see cref="FileDescriptor"/>), so that <see cref="SuspendWakeups"/> can take the device out of it.</summary>
    private int _readiness;
    private readonly Lock _wakeupsLock = new();
    private int _suspensions;
    private long _droppedReads;

    // The segment being cut, in _offloaded: its length, segment size, header length, next and count.
    private int _segmentedLength;
    private int _segmentSize;
    private int _segmentHeaderLength;
    private int _nextSegment;
    private int _segmentCount;

    private TunDevice(int fd, int readiness, string name, bool virtioHeaders, bool offloads, SafeFileHandle? statistics)
    {
        _fd = fd;
        _readiness = readiness;
        Name = name;
        Offloads = offloads;
        _offloaded = virtioHeaders ? new byte[MaxOffloadedPacket] : [];
        _statistics = statistics;
    }

    /// <summary>Whether the kernel hands this device checksum and TCP segmentation work (see the class summary).</summary>
    public bool Offloads { get; }

    /// <summary>Packets read with offloads that could not be cut or finished (not TCP, bad headers): dropped.</summary>
    public long DroppedReads => Interlocked.Read(ref _droppedReads);

    /// <summary>The interface name the kernel gave the device (the requested one, or tunN).</summary>
    public string Name { get; }

    /// <summary>
    /// Packets the kernel dropped on their way to this device's reader: the interface's transmit
    /// drops. The kernel queues packets routed into the device until they are read, at most the
    /// queue length (<see cref="SetQueueLength"/>, 500 by default) of them, and drops the rest
    /// (drivers/net/tun.c, tun_net_xmit); so this counts the packets that arrived while the reader
    /// was that far behind. Read from the interface table of the namespace the device was made in,
    /// whichever thread asks; 0 when that table cannot be read.
    /// </summary>
    public long QueueDrops
    {
        get
        {
            if (_statistics is null)
            {
                return 0;
            }

            // The table is made afresh by every read from its start (a seq_file), so the handle opened once serves every call.
            var table = new StringBuilder();
            byte[] chunk = new byte[16 * 1024];
            long offset = 0;
            int n;
            while ((n = RandomAccess.Read(_statistics, chunk, offset)) > 0)
            {
                table.Append(Encoding.ASCII.GetString(chunk, 0, n));
                offset += n;
            }

            return ProcNetDev.TryReadTransmitDropped(table.ToString(), Name, out long dropped) ? dropped : 0;
        }
    }

    /// <summary>
    /// A descriptor that polls readable while a packet is queued, for callers that poll several
    /// descriptors together: an epoll set that holds the device, so that its wake-ups can be
    /// suspended without touching the waiters (<see cref="SuspendWakeups"/>).
    /// </summary>
    public int FileDescriptor => _readiness;

    /// <summary>
    /// Takes the device out of the set its waiters poll (<see cref="FileDescriptor"/>,
    /// <see cref="WaitForPacket"/>) until as many <see cref="ResumeWakeups"/>: a thread that writes
    /// packets and then reads the device itself keeps the answers the kernel queues meanwhile (a
    /// ping's reply, a TCP acknowledgement from a host next to the gateway) from waking a waiting
    /// reader on another core, which costs the writer an interprocessor interrupt inside its write.
    /// Calls nest across threads; the device returns to the set at the last resume.
    /// </summary>
    public unsafe void SuspendWakeups()
    {
        lock (_wakeupsLock)
        {
            if (_suspensions++ == 0 && _readiness >= 0)
            {
                EpollCtl(_readiness, EPOLL_CTL_DEL, _fd, null);
            }
        }
    }

    /// <summary>
    /// Ends one <see cref="SuspendWakeups"/>. At the last one the device returns to the set; a
    /// packet queued then (one its writer did not read) makes the set readable at once, so the
    /// waiting reader takes it.
    /// </summary>
    public unsafe void ResumeWakeups()
    {
        lock (_wakeupsLock)
        {
            if (_suspensions == 0)
            {
                throw new InvalidOperationException("ResumeWakeups without a SuspendWakeups.");
            }

            if (--_suspensions == 0 && _readiness >= 0)
            {
                var interest = new EpollEvent { Events = EPOLLIN };
                EpollCtl(_readiness, EPOLL_CTL_ADD, _fd, &interest);
            }
        }
    }

    /// <summary>
    /// Opens /dev/net/tun and creates (or, for a multi-queue device, attaches a queue to) the
    /// interface <paramref name="name"/>; an empty name lets the kernel choose one.
    /// </summary>
    /// <param name="name">The interface name.</param>
    /// <param name="multiQueue">Attach a queue of a multi-queue device.</param>
    /// <param name="offload">Ask for checksum and TCP segmentation offload (see the class summary); <see cref="Offloads"/> tells whether the kernel agreed.</param>
    /// <exception cref="TunDeviceException">The device cannot be created; the message says why and how to fix it.</exception>
    public static unsafe TunDevice Create(string name, bool multiQueue = false, bool offload = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Encoding.ASCII.GetByteCount(name) >= IFNAMSIZ)
        {
            throw new TunDeviceException($"TUN device name '{name}' is too long: Linux interface names have at most {IFNAMSIZ - 1} characters.");
        }

        int fd = Open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ENOENT or ENODEV => new TunDeviceException(
                    "/dev/net/tun does not exist: load the tun module (modprobe tun), or start the container with --device /dev/net/tun."),
                EPERM or EACCES => new TunDeviceException(
                    "No permission to open /dev/net/tun: run as root, or start the container with --cap-add NET_ADMIN --device /dev/net/tun."),
                _ => new TunDeviceException($"Cannot open /dev/net/tun: {Describe(errno)}."),
            };
        }

        var request = default(IfReq);
        WriteName(ref request, name);
        request.Flags = (short)(IFF_TUN | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0));
        if (Ioctl(fd, TUNSETIFF, &request) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Close(fd);
            throw errno switch
            {
                EPERM or EACCES => new TunDeviceException(
                    $"No permission to create TUN device '{name}': CAP_NET_ADMIN is required (run as root, or --cap-add NET_ADMIN)."),
                EBUSY => new TunDeviceException(
                    $"TUN device name '{name}' is taken: another process holds that device. Choose another name or stop the other process."),
                EINVAL => new TunDeviceException(
                    $"Cannot create TUN device '{name}': an interface of that name exists with other settings (another type, or multi-queue mismatch). Choose another name."),
                _ => new TunDeviceException($"Cannot create TUN device '{name}': {Describe(errno)}."),
            };
        }

        bool offloads = offload && IoctlValue(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
        int readiness = EpollCreate1(EPOLL_CLOEXEC);
        var interest = new EpollEvent { Events = EPOLLIN };
        if (readiness < 0 || EpollCtl(readiness, EPOLL_CTL_ADD, fd, &interest) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (readiness >= 0)
            {
                Close(readiness);
            }

            Close(fd);
            throw new TunDeviceException($"Cannot wait on TUN device '{name}': epoll failed: {Describe(errno)}.");
        }

        return new TunDevice(fd, readiness, ReadName(ref request), offload, offloads, OpenStatistics());
    }

    /// <summary>
    /// Sets how many packets the kernel queues for this device's reader before it drops them
    /// (the interface's transmit queue length, as <c>ip link set DEV txqueuelen N</c>; the kernel
    /// resizes the device's ring to it). 1 to 1,000,000.
    /// </summary>
    public unsafe void SetQueueLength(int packets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(packets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packets, 1_000_000);
        var request = NewRequest();
        request.Value = packets;
        InterfaceIoctl(SIOCSIFTXQLEN, &request, "set the queue length of");
    }

    /// <summary>Sets the interface's IPv4 address and prefix length.</summary>
    public unsafe void SetIPv4Address(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"'{address}' is not an IPv4 address.", nameof(address));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);

        var request = NewRequest();
        request.SinFamily = AF_INET;
        request.SinAddr = ToNetworkOrder(address);
        InterfaceIoctl(SIOCSIFADDR, &request, "set the address of");

        request = NewRequest();
        request.SinFamily = AF_INET;
        uint mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        request.SinAddr = (uint)IPAddress.HostToNetworkOrder((int)mask);
        InterfaceIoctl(SIOCSIFNETMASK, &request, "set the netmask of");
    }

    /// <summary>Adds an IPv6 address with its prefix length to the interface (the in6_ifreq ioctl on an AF_INET6 socket).</summary>
    public unsafe void SetIPv6Address(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"'{address}' is not an IPv6 address.", nameof(address));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 128);

        var index = NewRequest();
        InterfaceIoctl(SIOCGIFINDEX, &index, "find the index of");
        var request = new In6IfReq { PrefixLength = (uint)prefixLength, InterfaceIndex = index.Value };
        address.TryWriteBytes(new Span<byte>(request.Address, 16), out _);
        int socket = Socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            throw new TunDeviceException($"Cannot set the IPv6 address of '{Name}': no IPv6 control socket ({Describe(Marshal.GetLastPInvokeError())}); is IPv6 disabled?");
        }

        try
        {
            if (Ioctl(socket, SIOCSIFADDR, &request) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                string hint = errno is EPERM or EACCES ? " CAP_NET_ADMIN is required." : string.Empty;
                throw new TunDeviceException($"Cannot set the IPv6 address {address}/{prefixLength} of '{Name}': {Describe(errno)}.{hint}");
            }
        }
        finally
        {
            Close(socket);
        }
    }

    /// <summary>Sets the interface MTU (68 to 65535).</summary>
    public unsafe void SetMtu(int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        var request = NewRequest();
        request.Value = mtu;
        InterfaceIoctl(SIOCSIFMTU, &request, "set the MTU of");
    }

    /// <summary>Brings the interface up.</summary>
    public unsafe void SetUp()
    {
        var request = NewRequest();
        InterfaceIoctl(SIOCGIFFLAGS, &request, "read the flags of");
        request.Flags |= IFF_UP | IFF_RUNNING;
        InterfaceIoctl(SIOCSIFFLAGS, &request, "bring up");
    }

    /// <summary>
    /// Reads one packet into <paramref name="buffer"/> if one is queued, without waiting; 0 when none
    /// is. A packet longer than the buffer is truncated by the kernel (with offloads: dropped and
    /// counted), so size the buffer for the MTU.
    /// </summary>
    public int TryRead(Span<byte> buffer)
    {
        if (_offloaded.Length == 0)
        {
            return ReadRaw(buffer);
        }

        while (true)
        {
            if (_nextSegment < _segmentCount)
            {
                int length = TcpSegmenter.WriteSegment(_offloaded.AsSpan(VirtioNetHeader.Length, _segmentedLength), _segmentSize, _segmentHeaderLength, _nextSegment++, buffer);
                if (length > 0)
                {
                    return length;
                }

                Interlocked.Increment(ref _droppedReads);
                continue;
            }

            int n = ReadRaw(_offloaded);
            if (n == 0)
            {
                return 0;
            }

            if (!TryTake(n, buffer, out int taken))
            {
                Interlocked.Increment(ref _droppedReads);
                continue;
            }

            if (taken > 0)
            {
                return taken;
            }
        }
    }

    // A packet of n bytes (virtio header included) was read into _offloaded: copy it out finished,
    // or plan its segments (taken 0); false when it has to be dropped.
    private bool TryTake(int n, Span<byte> buffer, out int taken)
    {
        taken = 0;
        if (n < VirtioNetHeader.Length)
        {
            return false;
        }

        var header = VirtioNetHeader.Read(_offloaded);
        var packet = _offloaded.AsSpan(VirtioNetHeader.Length, n - VirtioNetHeader.Length);
        switch (header.Segmentation)
        {
            case VirtioNetHeader.GsoNone:
                if ((header.NeedsChecksum && !TcpSegmenter.TryFinishChecksum(packet, header.ChecksumStart, header.ChecksumOffset))
                    || packet.Length > buffer.Length)
                {
                    return false;
                }

                packet.CopyTo(buffer);
                taken = packet.Length;
                return true;
            case VirtioNetHeader.GsoTcpV4 or VirtioNetHeader.GsoTcpV6
                when TcpSegmenter.TryPlan(packet, header.GsoSize, out int count, out int headerLength, out _):
                _segmentedLength = packet.Length;
                _segmentSize = header.GsoSize;
                _segmentHeaderLength = headerLength;
                _segmentCount = count;
                _nextSegment = 0;
                return true;
            default:
                return false;
        }
    }

    private unsafe int ReadRaw(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = LinuxInterop.Read(_fd, p, (nuint)buffer.Length);
            }

            if (n >= 0)
            {
                return (int)n;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EAGAIN)
            {
                return 0;
            }

            if (errno != EINTR)
            {
                throw new TunDeviceException($"Reading from TUN device '{Name}' failed: {Describe(errno)}.");
            }
        }
    }

    /// <summary>
    /// Waits at most <paramref name="timeoutMs"/> milliseconds (-1: forever) until a packet is
    /// queued; false when the wait timed out (or a signal interrupted it).
    /// </summary>
    public unsafe bool WaitForPacket(int timeoutMs)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (Volatile.Read(ref _nextSegment) < Volatile.Read(ref _segmentCount))
        {
            return true;
        }

        // The readiness set is an epoll set: waiting on it with epoll_wait, not poll, registers nothing per call.
        EpollEvent woken;
        int ready = EpollWait(_readiness, &woken, 1, timeoutMs);
        if (ready < 0 && Marshal.GetLastPInvokeError() != EINTR)
        {
            throw new TunDeviceException($"Waiting on TUN device '{Name}' failed: {Describe(Marshal.GetLastPInvokeError())}.");
        }

        return ready > 0;
    }

    /// <summary>
    /// Writes one IP packet. Returns false when the kernel refused it (for example a malformed
    /// packet, or no room in the queue); the caller counts the drop and carries on.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> packet) => Write(default, packet);

    /// <summary>
    /// Writes one IP packet with the virtio header that says what the kernel still has to do with
    /// it (a joined TCP segment to cut, a checksum to finish: <see cref="TcpCoalescer"/>); only
    /// with <see cref="Offloads"/>, except for the empty header. False when the kernel refused it.
    /// </summary>
    public unsafe bool Write(VirtioNetHeader header, ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (header != default && !Offloads)
        {
            throw new InvalidOperationException($"TUN device '{Name}' has no offloads: it cannot take a packet with work left for the kernel.");
        }

        byte* virtio = stackalloc byte[VirtioNetHeader.Length];
        header.Write(new Span<byte>(virtio, VirtioNetHeader.Length));
        var vectors = stackalloc IoVec[2];
        while (true)
        {
            nint n;
            fixed (byte* p = packet)
            {
                if (_offloaded.Length == 0)
                {
                    n = LinuxInterop.Write(_fd, p, (nuint)packet.Length);
                }
                else
                {
                    vectors[0] = new IoVec { Base = virtio, Length = VirtioNetHeader.Length };
                    vectors[1] = new IoVec { Base = p, Length = (nuint)packet.Length };
                    n = Writev(_fd, vectors, 2);
                    n = n < 0 ? n : n - VirtioNetHeader.Length;
                }
            }

            if (n >= 0)
            {
                return n == packet.Length;
            }

            if (Marshal.GetLastPInvokeError() != EINTR)
            {
                return false;
            }
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            lock (_wakeupsLock)
            {
                Close(_readiness);
                _readiness = -1;
            }

            Close(fd);
            _statistics?.Dispose();
        }
    }

    private static SafeFileHandle? OpenStatistics()
    {
        // thread-self, not self: the device lives in the namespace of the thread that made it,
        // which need not be the process's main thread's (tests make devices from a thread that
        // joined another namespace). The handle keeps that namespace for later reads.
        try
        {
            return File.OpenHandle("/proc/thread-self/net/dev");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private unsafe void InterfaceIoctl(uint request, IfReq* arg, string what)
    {
        int socket = Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            throw new TunDeviceException($"Cannot {what} '{Name}': no control socket: {Describe(Marshal.GetLastPInvokeError())}.");
        }

        try
        {
            if (Ioctl(socket, request, arg) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                string hint = errno is EPERM or EACCES ? " CAP_NET_ADMIN is required." : string.Empty;
                throw new TunDeviceException($"Cannot {what} '{Name}': {Describe(errno)}.{hint}");
            }
        }
        finally
        {
            Close(socket);
        }
    }

    private IfReq NewRequest()
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var request = default(IfReq);
        WriteName(ref request, Name);
        return request;
    }

    private static unsafe void WriteName(ref IfReq request, string name)
    {
        fixed (byte* p = request.Name)
        {
            Encoding.ASCII.GetBytes(name, new Span<byte>(p, IFNAMSIZ - 1));
        }
    }

    private static unsafe string ReadName(ref IfReq request)
    {
        fixed (byte* p = request.Name)
        {
            var span = new ReadOnlySpan<byte>(p, IFNAMSIZ);
            int end = span.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        }
    }

    private static uint ToNetworkOrder(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return MemoryMarshal.Read<uint>(bytes);
    }
}

/// <summary>A TUN device could not be created, configured or used.</summary>
public sealed class TunDeviceException : Exception
{
    public TunDeviceException(string message)
        : base(message)
    {
    }

    public TunDeviceException()
    {
    }

    public TunDeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
