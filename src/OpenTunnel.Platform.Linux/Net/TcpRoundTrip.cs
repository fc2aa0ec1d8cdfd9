using System.Buffers.Binary;
using System.Net.Sockets;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>The smoothed round trip a connected TCP socket measures (Linux <c>TCP_INFO</c>, <c>tcpi_rtt</c>).</summary>
public static class TcpRoundTrip
{
    private const int IPPROTO_TCP = 6;
    private const int TCP_INFO = 11;

    /// <summary>Where tcpi_rtt (µs, 32 bits) sits in struct tcp_info (linux/tcp.h).</summary>
    private const int RoundTripOffset = 68;

    /// <summary>The socket's smoothed round trip in microseconds; null when it is closed or the kernel gives too short a structure.</summary>
    public static int? Microseconds(Socket socket)
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

        if (length < RoundTripOffset + sizeof(uint))
        {
            return null;
        }

        // The kernel writes the structure in the machine's byte order.
        uint rtt = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(info[RoundTripOffset..])
            : BinaryPrimitives.ReadUInt32BigEndian(info[RoundTripOffset..]);
        return (int)Math.Min(rtt, int.MaxValue);
    }
}
