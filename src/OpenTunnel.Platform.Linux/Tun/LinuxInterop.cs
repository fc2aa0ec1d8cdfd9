using System.Runtime.InteropServices;

namespace OpenTunnel.Platform.Linux.Tun;

/// <summary>The few libc calls the TUN device needs (linux/if_tun.h, linux/sockios.h).</summary>
internal static partial class LinuxInterop
{
    public const int O_RDWR = 0x2;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;

    public const short IFF_UP = 0x1;
    public const short IFF_RUNNING = 0x40;
    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_MULTI_QUEUE = 0x0100;
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>TUNSETOFFLOAD: which offloads the reader of the device handles (TUN_F_*), passed by value.</summary>
    public const uint TUNSETOFFLOAD = 0x400454d0;
    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO6 = 0x04;

    public const uint TUNSETIFF = 0x400454ca;
    public const uint SIOCGIFFLAGS = 0x8913;
    public const uint SIOCSIFFLAGS = 0x8914;
    public const uint SIOCSIFADDR = 0x8916;
    public const uint SIOCSIFNETMASK = 0x891c;
    public const uint SIOCSIFMTU = 0x8922;
    public const uint SIOCGIFINDEX = 0x8933;
    public const uint SIOCSIFTXQLEN = 0x8943;

    public const int IFNAMSIZ = 16;

    // struct ifreq: a 16-byte name and a 24-byte union (sockaddr, int, short...).
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public unsafe struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[IFNAMSIZ];
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int Value;
        [FieldOffset(16)] public ushort SinFamily;
        [FieldOffset(18)] public ushort SinPort;
        [FieldOffset(20)] public uint SinAddr;
    }

    // struct in6_ifreq (linux/ipv6.h): the address, its prefix length and the interface index;
    // SIOCSIFADDR on an AF_INET6 socket adds the address.
    [StructLayout(LayoutKind.Sequential, Size = 24)]
    public unsafe struct In6IfReq
    {
        public fixed byte Address[16];
        public uint PrefixLength;
        public int InterfaceIndex;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, In6IfReq* arg);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, IfReq* arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoctlValue(int fd, nuint request, nuint value);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static unsafe partial nint Writev(int fd, IoVec* vectors, int count);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    /// <summary>epoll_wait(2): <paramref name="events"/> has room for <paramref name="maxEvents"/> events of <see cref="EpollEventSize"/> bytes.</summary>
    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static unsafe partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMs);

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;

    /// <summary>Where the caller's data lies in a struct epoll_event: 4 on x86-64, where the struct is packed, 8 elsewhere.</summary>
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>The size of one struct epoll_event in what epoll_wait(2) returns: 12 bytes on x86-64, 16 elsewhere.</summary>
    public static readonly int EpollEventSize = EpollDataOffset + sizeof(ulong);

    /// <summary>
    /// struct epoll_event: the events, then 8 bytes of the caller's data (at <see cref="EpollDataOffset"/>);
    /// 16 bytes cover both layouts.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 16)]
    public struct EpollEvent
    {
        public uint Events;

        /// <summary>An interest in <paramref name="events"/> whose events come back with <paramref name="data"/>.</summary>
        public static unsafe EpollEvent For(uint events, ulong data)
        {
            var interest = new EpollEvent { Events = events };
            *(ulong*)((byte*)&interest + EpollDataOffset) = data;
            return interest;
        }

        /// <summary>The caller's data of the event at <paramref name="index"/> of what epoll_wait(2) returned.</summary>
        public static unsafe ulong DataAt(byte* events, int index) => *(ulong*)(events + (index * EpollEventSize) + EpollDataOffset);
    }

    /// <summary>recvmmsg(2): receives up to <paramref name="count"/> datagrams in one call.</summary>
    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static unsafe partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    /// <summary>sendmsg(2): one datagram, here with a UDP_SEGMENT control message (UDP generic segmentation offload).</summary>
    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static unsafe partial nint SendMsg(int fd, MMsgHdr* message, int flags);

    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;

    // struct cmsghdr (64-bit Linux): length, level, type, then the data at 16 bytes.
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_TRUNC = 0x20;

    // struct iovec (x86_64 and arm64 Linux).
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    // struct mmsghdr (64-bit Linux): a 56-byte struct msghdr, then the received length.
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public unsafe struct MMsgHdr
    {
        [FieldOffset(0)] public byte* Name;
        [FieldOffset(8)] public uint NameLength;
        [FieldOffset(16)] public IoVec* Iov;
        [FieldOffset(24)] public nuint IovLength;
        [FieldOffset(32)] public void* Control;
        [FieldOffset(40)] public nuint ControlLength;
        [FieldOffset(48)] public int Flags;
        [FieldOffset(56)] public uint Length;
    }

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EPERM = 1;
    public const int EACCES = 13;
    public const int ENOENT = 2;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EIO = 5;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";
}
