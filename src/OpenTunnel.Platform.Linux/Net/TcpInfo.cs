using System.Buffers.Binary;
using System.Net.Sockets;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// What a connected TCP socket knows about its path (Linux <c>TCP_INFO</c>: <c>tcpi_pmtu</c>,
/// <c>tcpi_rtt</c>, <c>tcpi_min_rtt</c>).
/// </summary>
public static class TcpInfo
{
    private const int IPPROTO_TCP = 6;
    private const int TCP_INFO = 11;

    /// <summary>Where tcpi_pmtu (bytes, 32 bits) sits in struct tcp_info (linux/tcp.h).</summary>
    private const int PathMtuOffset = 60;

    /// <summary>Where tcpi_rtt (µs, 32 bits) sits in struct tcp_info (linux/tcp.h).</summary>
    private const int RoundTripOffset = 68;

    /// <summary>Where tcpi_min_rtt (µs, 32 bits) sits in struct tcp_info (linux/tcp.h, Linux 4.6 and later).</summary>
    private const int LeastRoundTripOffset = 148;

    /// <summary>
    /// The path MTU the connection uses: the largest IP packet it may send, headers included, as
    /// ocserv reads it. The MSS plus the IP and TCP headers (TCP_MAXSEG) falls short of it by the
    /// TCP options every segment carries (12 bytes with timestamps). Null when the socket is closed
    /// or the kernel gives too short a structure.
    /// </summary>
    public static int? PathMtu(Socket socket) => Read(socket, PathMtuOffset) is { } mtu && mtu > 0 ? mtu : null;

    /// <summary>The socket's smoothed round trip in microseconds; null when it is closed or the kernel gives too short a structure.</summary>
    public static int? RoundTripMicroseconds(Socket socket) => Read(socket, RoundTripOffset);

    /// <summary>
    /// The least round trip the socket measured over the last minutes (the path's own, without the
    /// queues on it), in microseconds; null when it is closed, has measured none yet, or the kernel
    /// gives too short a structure.
    /// </summary>
    public static int? LeastRoundTripMicroseconds(Socket socket) => Read(socket, LeastRoundTripOffset) is { } least && least != int.MaxValue ? least : null;

    private static int? Read(Socket socket, int offset)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> info = stackalloc byte[256];
        int length;
        try
        {
            length = socket.GetRawSocketOption(IPPROTO_TCP, TCP_INFO, info);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }

        if (length < offset + sizeof(uint))
        {
            return null;
        }

        // The kernel writes the structure in the machine's byte order.
        uint value = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(info[offset..])
            : BinaryPrimitives.ReadUInt32BigEndian(info[offset..]);
        return (int)Math.Min(value, int.MaxValue);
    }
}
