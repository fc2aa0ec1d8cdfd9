using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static OpenTunnel.Platform.Linux.Tun.LinuxInterop;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// Reads datagrams from a UDP socket in batches with recvmmsg(2): one system call returns
/// whatever has queued up, up to <see cref="Capacity"/> datagrams, so a server under load pays one
/// call per batch instead of one per datagram. Buffers are allocated once; reading allocates
/// nothing. One thread reads; the datagrams of a batch stay valid until the next
/// <see cref="Receive"/>.
/// </summary>
public sealed unsafe class UdpBatchReceiver : IDisposable
{
    // sizeof(struct sockaddr_storage): room for any address the socket reports.
    private const int NameCapacity = 128;

    private readonly Socket _socket;
    private readonly int _slotSize;
    private readonly byte* _memory;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _vectors;
    private readonly byte* _names;
    private readonly byte* _slots;
    private bool _addedReference;
    private int _count;

    /// <summary>Prepares to read from <paramref name="socket"/> (a UDP socket the caller keeps open for the receiver's lifetime).</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="capacity">Datagrams per call at most (1–1024).</param>
    /// <param name="slotSize">Bytes kept per datagram; a longer one is truncated and reported by <see cref="IsTruncated"/>.</param>
    public UdpBatchReceiver(Socket socket, int capacity, int slotSize)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        _socket = socket;
        Capacity = capacity;
        _slotSize = slotSize;
        nuint size = (nuint)(capacity * (sizeof(MMsgHdr) + sizeof(IoVec) + NameCapacity + slotSize));
        _memory = (byte*)NativeMemory.AllocZeroed(size);
        _messages = (MMsgHdr*)_memory;
        _vectors = (IoVec*)(_messages + capacity);
        _names = (byte*)(_vectors + capacity);
        _slots = _names + (capacity * NameCapacity);
        for (int i = 0; i < capacity; i++)
        {
            _vectors[i].Base = _slots + ((long)i * slotSize);
            _vectors[i].Length = (nuint)slotSize;
            _messages[i].Iov = &_vectors[i];
            _messages[i].IovLength = 1;
            _messages[i].Name = _names + (i * NameCapacity);
        }

        // Keep the descriptor from being closed and reused while a call may be using it.
        socket.SafeHandle.DangerousAddRef(ref _addedReference);
    }

    /// <summary>Most datagrams one <see cref="Receive"/> returns.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds for datagrams and takes every one
    /// that queued up (at most <see cref="Capacity"/>). Returns how many arrived; 0 when the wait
    /// timed out.
    /// </summary>
    /// <exception cref="SocketException">The socket failed.</exception>
    public int Receive(int timeoutMs)
    {
        int fd = (int)_socket.SafeHandle.DangerousGetHandle();
        while (true)
        {
            for (int i = 0; i < Capacity; i++)
            {
                // The kernel overwrites these on every call.
                _messages[i].NameLength = NameCapacity;
                _messages[i].Flags = 0;
                _messages[i].Length = 0;
            }

            int received = RecvMmsg(fd, _messages, (uint)Capacity, MSG_DONTWAIT, null);
            if (received >= 0)
            {
                _count = received;
                return received;
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

            var poll = new PollFd { Fd = fd, Events = POLLIN };
            int ready = Poll(&poll, 1, timeoutMs);
            if (ready == 0)
            {
                _count = 0;
                return 0;
            }

            if (ready < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                int pollErrno = Marshal.GetLastPInvokeError();
                throw new SocketException(pollErrno, $"poll on the UDP socket failed: {Describe(pollErrno)}");
            }
        }
    }

    /// <summary>The bytes of datagram <paramref name="index"/> of the last batch (at most the slot size).</summary>
    public ReadOnlySpan<byte> Datagram(int index)
    {
        CheckIndex(index);
        return new ReadOnlySpan<byte>(_vectors[index].Base, (int)Math.Min(_messages[index].Length, (uint)_slotSize));
    }

    /// <summary>True when datagram <paramref name="index"/> was longer than the slot and lost its tail.</summary>
    public bool IsTruncated(int index)
    {
        CheckIndex(index);
        return (_messages[index].Flags & MSG_TRUNC) != 0;
    }

    /// <summary>Writes the sender of datagram <paramref name="index"/> into <paramref name="destination"/> (native sockaddr layout, as <see cref="SocketAddress"/> keeps it on Linux).</summary>
    public void CopySender(int index, SocketAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckIndex(index);
        int length = (int)Math.Min(_messages[index].NameLength, (uint)destination.Buffer.Length);
        new ReadOnlySpan<byte>(_messages[index].Name, length).CopyTo(destination.Buffer.Span);
        destination.Size = length;
    }

    public void Dispose()
    {
        if (_addedReference)
        {
            _addedReference = false;
            _socket.SafeHandle.DangerousRelease();
            NativeMemory.Free(_memory);
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The last batch held {_count} datagrams.");
        }
    }
}
