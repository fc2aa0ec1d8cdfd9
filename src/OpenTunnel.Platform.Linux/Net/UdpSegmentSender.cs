using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static OpenTunnel.Platform.Linux.Tun.LinuxInterop;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// Sends a run of datagrams to one address with a single sendmsg(2) and UDP generic segmentation
/// offload (the UDP_SEGMENT control message, Linux 4.18): the buffer holds the datagrams back to
/// back, all <c>segmentSize</c> bytes long except the last, which may be shorter, and the kernel
/// cuts it into separate datagrams below the socket layer. One system call, one route lookup and
/// one pass through the UDP and IP layers then carry the whole run instead of one per datagram.
/// The receiver sees ordinary datagrams. Allocates nothing.
/// </summary>
public static unsafe class UdpSegmentSender
{
    /// <summary>Datagrams per call at most (the kernel's limit is 64 on older kernels, 128 on newer ones).</summary>
    public const int MaxSegments = 64;

    /// <summary>Bytes per call at most: below the 65,507 bytes an IPv4 UDP datagram can carry before it is cut.</summary>
    public const int MaxBytes = 65_000;

    // CMSG_SPACE(sizeof(ushort)) on 64-bit Linux: a 16-byte header and the data, padded to 8.
    private const int ControlSpace = 24;

    /// <summary>
    /// Sends <paramref name="datagrams"/> to <paramref name="to"/> as datagrams of
    /// <paramref name="segmentSize"/> bytes (the last one may be shorter). False when the kernel
    /// refused the send, with its <paramref name="errno"/>; <see cref="IsUnsupported"/> tells whether
    /// it refused the segmentation itself.
    /// </summary>
    public static bool TrySend(Socket socket, ReadOnlySpan<byte> datagrams, int segmentSize, SocketAddress to, out int errno)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(datagrams.Length, MaxBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((datagrams.Length + segmentSize - 1) / segmentSize, MaxSegments, nameof(datagrams));

        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        var header = (CMsgHdr*)control;
        header->Length = (nuint)(sizeof(CMsgHdr) + sizeof(ushort));
        header->Level = SOL_UDP;
        header->Type = UDP_SEGMENT;
        *(ushort*)(control + sizeof(CMsgHdr)) = (ushort)segmentSize;
        return Send(socket, datagrams, to, control, ControlSpace, out errno);
    }

    /// <summary>
    /// Sends one datagram to <paramref name="to"/> with a single sendmsg(2), without the layers of
    /// <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> (its asynchronous
    /// context, its error mapping), which a ping's answer otherwise runs through with cold caches.
    /// False when the kernel refused the send, with its <paramref name="errno"/>.
    /// </summary>
    public static bool TrySendOne(Socket socket, ReadOnlySpan<byte> datagram, SocketAddress to, out int errno) =>
        Send(socket, datagram, to, null, 0, out errno);

    private static bool Send(Socket socket, ReadOnlySpan<byte> data, SocketAddress to, byte* control, int controlLength, out int errno)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(to);
        bool added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* bytes = data)
            fixed (byte* name = to.Buffer.Span)
            {
                var vector = new IoVec { Base = bytes, Length = (nuint)data.Length };
                var message = new MMsgHdr
                {
                    Name = name,
                    NameLength = (uint)to.Size,
                    Iov = &vector,
                    IovLength = 1,
                    Control = control,
                    ControlLength = (nuint)controlLength,
                };
                int fd = (int)socket.SafeHandle.DangerousGetHandle();
                while (SendMsg(fd, &message, 0) < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno != EINTR)
                    {
                        return false;
                    }
                }

                errno = 0;
                return true;
            }
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Whether a datagram of <paramref name="length"/> bytes can join a run of
    /// <paramref name="count"/> datagrams (<paramref name="runLength"/> bytes, each
    /// <paramref name="segmentSize"/> long) that <see cref="TrySend"/> sends in one call: the run
    /// is not full (<see cref="MaxSegments"/>, <see cref="MaxBytes"/>), the datagram is not longer
    /// than the run's, and no shorter one came before it (only the last may be shorter). An empty
    /// run takes any datagram of at most <see cref="MaxBytes"/>.
    /// </summary>
    public static bool CanJoin(int count, int runLength, int segmentSize, int length) =>
        count == 0
            ? length <= MaxBytes
            : count < MaxSegments && runLength + length <= MaxBytes && length <= segmentSize && runLength == count * segmentSize;

    /// <summary>
    /// Whether <paramref name="errno"/> from <see cref="TrySend"/> means this kernel or this route cannot
    /// segment UDP (no UDP_SEGMENT, or an egress device without checksum offload): the caller then
    /// sends each datagram on its own from now on.
    /// </summary>
    public static bool IsUnsupported(int errno) => errno is EIO or EINVAL or ENOPROTOOPT or EOPNOTSUPP;

    /// <summary>The text of <paramref name="errno"/>, for a log line.</summary>
    public static string DescribeError(int errno) => Describe(errno);
}
