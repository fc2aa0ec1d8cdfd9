using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static OpenTunnel.Platform.Linux.Tun.LinuxInterop;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// Reads datagrams from a UDP socket in batches with recvmmsg(2): one system call returns
/// whatever has queued up, up to <see cref="Capacity"/> messages, so a server under load pays one
/// call per batch instead of one per datagram. With <c>coalesce</c> the socket also takes the
/// kernel's receive offload (UDP_GRO, Linux 5.0): a run of datagrams of one size from one sender,
/// as a peer with segmentation offload sends it, arrives as one message, which skips the kernel's
/// work per datagram; the receiver cuts it back into its datagrams, so that callers see each one
/// as it was sent. It waits with epoll(7) on a set of its own, made once, instead of poll(2),
/// which registers with every descriptor and unregisters again on each call; after a batch that
/// did not fill it, the next call waits first instead of asking the socket once more for nothing.
/// Buffers are allocated once; reading allocates nothing. One thread reads; the datagrams of a
/// batch stay valid until the next <see cref="Receive(int)"/>.
/// </summary>
public sealed unsafe class UdpBatchReceiver : IDisposable
{
    // sizeof(struct sockaddr_storage): room for any address the socket reports.
    private const int NameCapacity = 128;

    // Room for the UDP_GRO control message: CMSG_SPACE(sizeof(int)) is 24 on 64-bit Linux.
    private const int ControlCapacity = 32;

    // UDP_GRO (include/uapi/linux/udp.h): setsockopt to take coalesced runs, and the control message that gives their datagram size.
    private const int UdpGro = 104;

    /// <summary>Datagrams one coalesced message holds at most (the kernel's UDP_MAX_SEGMENTS is 64 or 128).</summary>
    private const int MaxSegmentsPerMessage = 128;

    // What the wait set's events carry: the socket, or the caller's other descriptor.
    private const ulong SocketEvent = 0;
    private const ulong OtherEvent = 1;

    private readonly Socket _socket;
    private readonly int _slotSize;
    private readonly byte* _memory;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _vectors;
    private readonly byte* _names;
    private readonly byte* _controls;
    private readonly byte* _slots;

    // The datagrams of the last batch: where each starts, its length, and the message it came in.
    private readonly Segment* _segments;
    private bool _addedReference;
    private int _count;

    /// <summary>The epoll set this receiver waits on: the socket, and the other descriptor of the last call (<see cref="_waitOther"/>).</summary>
    private readonly int _waitSet;
    private int _waitOther = -1;

    /// <summary>The last call took fewer messages than <see cref="Capacity"/>: the socket was most likely empty after it.</summary>
    private bool _lastBatchShort;

    /// <summary>Prepares to read from <paramref name="socket"/> (a UDP socket the caller keeps open for the receiver's lifetime).</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="capacity">Datagrams per call at most (1–1024).</param>
    /// <param name="slotSize">Bytes kept per message; a longer one is truncated and reported by <see cref="IsTruncated"/>. With <paramref name="coalesce"/> at least 65,535 (a coalesced run's most).</param>
    /// <param name="coalesce">Ask the kernel for coalesced runs (UDP_GRO); <see cref="Coalescing"/> says whether it agreed.</param>
    public UdpBatchReceiver(Socket socket, int capacity, int slotSize, bool coalesce = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, coalesce ? ushort.MaxValue : 1);
        _socket = socket;
        Capacity = capacity;
        _slotSize = slotSize;
        int segmentCapacity = capacity * (coalesce ? MaxSegmentsPerMessage : 1);
        nuint size = (nuint)((capacity * (sizeof(MMsgHdr) + sizeof(IoVec) + NameCapacity + ControlCapacity + slotSize)) + (segmentCapacity * sizeof(Segment)));
        _memory = (byte*)NativeMemory.AllocZeroed(size);
        _messages = (MMsgHdr*)_memory;
        _vectors = (IoVec*)(_messages + capacity);
        _segments = (Segment*)(_vectors + capacity);
        _names = (byte*)(_segments + segmentCapacity);
        _controls = _names + (capacity * NameCapacity);
        _slots = _controls + (capacity * ControlCapacity);
        for (int i = 0; i < capacity; i++)
        {
            _vectors[i].Base = _slots + ((long)i * slotSize);
            _vectors[i].Length = (nuint)slotSize;
            _messages[i].Iov = &_vectors[i];
            _messages[i].IovLength = 1;
            _messages[i].Name = _names + (i * NameCapacity);
        }

        if (coalesce)
        {
            try
            {
                socket.SetRawSocketOption(SOL_UDP, UdpGro, BitConverter.GetBytes(1));
                Coalescing = true;
            }
            catch (SocketException)
            {
                // A kernel before 5.0: one datagram per message, as without coalescing.
            }
        }

        _waitSet = EpollCreate1(EPOLL_CLOEXEC);
        if (_waitSet < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            NativeMemory.Free(_memory);
            throw new SocketException(errno, $"epoll_create1 for the UDP socket failed: {Describe(errno)}");
        }

        // Keep the descriptor from being closed and reused while a call may be using it.
        socket.SafeHandle.DangerousAddRef(ref _addedReference);
        var interest = EpollEvent.For(EPOLLIN, SocketEvent);
        if (EpollCtl(_waitSet, EPOLL_CTL_ADD, (int)socket.SafeHandle.DangerousGetHandle(), &interest) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Dispose();
            throw new SocketException(errno, $"epoll_ctl for the UDP socket failed: {Describe(errno)}");
        }
    }

    /// <summary>Most messages one <see cref="Receive(int)"/> takes (with coalescing, each may hold a run of datagrams).</summary>
    public int Capacity { get; }

    /// <summary>True when the kernel hands over coalesced runs (UDP_GRO), which the receiver cuts back into datagrams.</summary>
    public bool Coalescing { get; }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds for datagrams and takes every one
    /// that queued up (at most <see cref="Capacity"/> messages). Returns how many datagrams arrived;
    /// 0 when the wait timed out.
    /// </summary>
    /// <exception cref="SocketException">The socket failed.</exception>
    public int Receive(int timeoutMs) => Receive(timeoutMs, -1, out _);

    /// <summary>
    /// As <see cref="Receive(int)"/>, but waits on <paramref name="otherFd"/> too (another file
    /// descriptor the caller serves on the same thread, such as a TUN device; -1: none).
    /// <paramref name="otherReady"/> tells whether a wait found it readable (or failed, which its
    /// own read then reports); the call then returns at once, with the datagrams queued by then,
    /// or 0. Datagrams already queued come back without a wait; the other descriptor is looked at
    /// only when the call waits (it does first after a batch that did not fill the receiver): a
    /// caller serves it after each batch anyway.
    /// </summary>
    /// <exception cref="SocketException">The socket failed.</exception>
    public int Receive(int timeoutMs, int otherFd, out bool otherReady)
    {
        int fd = (int)_socket.SafeHandle.DangerousGetHandle();
        WatchOther(otherFd);
        otherReady = false;
        if (_lastBatchShort && timeoutMs != 0 && !Wait(timeoutMs, ref otherReady))
        {
            _count = 0;
            return 0;
        }

        while (true)
        {
            for (int i = 0; i < Capacity; i++)
            {
                // The kernel overwrites these on every call.
                _messages[i].NameLength = NameCapacity;
                _messages[i].Flags = 0;
                _messages[i].Length = 0;
                if (Coalescing)
                {
                    _messages[i].Control = _controls + (i * ControlCapacity);
                    _messages[i].ControlLength = ControlCapacity;
                }
            }

            int received = RecvMmsg(fd, _messages, (uint)Capacity, MSG_DONTWAIT, null);
            if (received >= 0)
            {
                _lastBatchShort = received < Capacity;
                _count = Split(received);
                return _count;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno != EAGAIN)
            {
                throw new SocketException(errno, $"recvmmsg failed: {Describe(errno)}");
            }

            _count = 0;
            _lastBatchShort = true;
            if (otherReady || !Wait(timeoutMs, ref otherReady))
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> on the socket and the other descriptor; true when
    /// the socket became readable (a signal counts as that: the caller then asks it again). Sets
    /// <paramref name="otherReady"/> when the other one did.
    /// </summary>
    private bool Wait(int timeoutMs, ref bool otherReady)
    {
        const int MaxEvents = 2;
        byte* events = stackalloc byte[MaxEvents * sizeof(EpollEvent)];
        int ready = EpollWait(_waitSet, events, MaxEvents, timeoutMs);
        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new SocketException(errno, $"epoll_wait on the UDP socket failed: {Describe(errno)}");
            }

            return true;
        }

        bool socketReady = false;
        for (int i = 0; i < ready; i++)
        {
            if (EpollEvent.DataAt(events, i) == OtherEvent)
            {
                otherReady = true;
            }
            else
            {
                socketReady = true;
            }
        }

        return socketReady;
    }

    /// <summary>Puts <paramref name="otherFd"/> (-1: none) in the wait set in place of the last call's.</summary>
    private void WatchOther(int otherFd)
    {
        if (otherFd == _waitOther)
        {
            return;
        }

        if (_waitOther >= 0)
        {
            EpollCtl(_waitSet, EPOLL_CTL_DEL, _waitOther, null);
            _waitOther = -1;
        }

        if (otherFd >= 0)
        {
            var interest = EpollEvent.For(EPOLLIN, OtherEvent);
            if (EpollCtl(_waitSet, EPOLL_CTL_ADD, otherFd, &interest) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new SocketException(errno, $"epoll_ctl for descriptor {otherFd} failed: {Describe(errno)}");
            }

            _waitOther = otherFd;
        }
    }

    /// <summary>The bytes of datagram <paramref name="index"/> of the last batch (at most the slot size).</summary>
    public ReadOnlySpan<byte> Datagram(int index)
    {
        CheckIndex(index);
        return new ReadOnlySpan<byte>(_segments[index].Start, _segments[index].Length);
    }

    /// <summary>True when datagram <paramref name="index"/> was longer than the slot and lost its tail.</summary>
    public bool IsTruncated(int index)
    {
        CheckIndex(index);
        return (_messages[_segments[index].Message].Flags & MSG_TRUNC) != 0;
    }

    /// <summary>Writes the sender of datagram <paramref name="index"/> into <paramref name="destination"/> (native sockaddr layout, as <see cref="SocketAddress"/> keeps it on Linux).</summary>
    public void CopySender(int index, SocketAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckIndex(index);
        var message = _messages + _segments[index].Message;
        int length = (int)Math.Min(message->NameLength, (uint)destination.Buffer.Length);
        new ReadOnlySpan<byte>(message->Name, length).CopyTo(destination.Buffer.Span);
        destination.Size = length;
    }

    public void Dispose()
    {
        if (_addedReference)
        {
            _addedReference = false;
            Close(_waitSet);
            _socket.SafeHandle.DangerousRelease();
            NativeMemory.Free(_memory);
        }
    }

    /// <summary>
    /// Lists the datagrams of the <paramref name="messages"/> received: one per message, or, for a
    /// coalesced run (a UDP_GRO control message gives its datagram size), each datagram of it, the
    /// last one possibly shorter. Returns how many.
    /// </summary>
    private int Split(int messages)
    {
        int count = 0;
        for (int m = 0; m < messages; m++)
        {
            byte* start = _vectors[m].Base;
            int length = (int)Math.Min(_messages[m].Length, (uint)_slotSize);
            int size = Coalescing ? RunDatagramSize(m) : 0;
            if (size <= 0 || size >= length)
            {
                _segments[count++] = new Segment(start, length, m);
                continue;
            }

            // The kernel never coalesces more than MaxSegmentsPerMessage datagrams; the bound keeps every message within its share of the list regardless.
            int end = count + MaxSegmentsPerMessage;
            for (int offset = 0; offset < length && count < end; offset += size)
            {
                _segments[count++] = new Segment(start + offset, Math.Min(size, length - offset), m);
            }
        }

        return count;
    }

    /// <summary>The datagram size of message <paramref name="message"/>'s UDP_GRO control message; 0 when it has none (a single datagram).</summary>
    private int RunDatagramSize(int message)
    {
        var header = (CMsgHdr*)_messages[message].Control;
        if (_messages[message].ControlLength < (nuint)(sizeof(CMsgHdr) + sizeof(int)) || header->Level != SOL_UDP || header->Type != UdpGro)
        {
            return 0;
        }

        return *(int*)((byte*)header + sizeof(CMsgHdr));
    }

    private readonly struct Segment(byte* start, int length, int message)
    {
        public readonly byte* Start = start;
        public readonly int Length = length;
        public readonly int Message = message;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The last batch held {_count} datagrams.");
        }
    }
}
