using System.Net.Sockets;

namespace OpenTunnel.Platform.Linux.Net;

/// <summary>
/// The kernel's receive and send buffers of a UDP socket. Linux's default (212,992 bytes, about
/// 150 datagrams of a tunnel's size) overflows when the peer sends a burst, such as a run of
/// records sent with segmentation offload, while the reader is busy: the kernel drops the rest
/// (UdpRcvbufErrors) and the TCP connections inside the tunnel take them as congestion.
/// </summary>
public static class UdpSocketBuffers
{
    // Linux SO_SNDBUFFORCE / SO_RCVBUFFORCE: like SO_SNDBUF / SO_RCVBUF but past net.core.*mem_max, with CAP_NET_ADMIN.
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;

    /// <summary>
    /// Asks for <paramref name="bytes"/> each way: past <c>net.core.rmem_max</c> and
    /// <c>wmem_max</c> with CAP_NET_ADMIN, else as far as they allow. False when the kernel gave
    /// less (what it gave: <see cref="Socket.ReceiveBufferSize"/> and <see cref="Socket.SendBufferSize"/>).
    /// </summary>
    public static bool TrySet(Socket socket, int bytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(bytes));
            socket.SetRawSocketOption(SolSocket, SoSndBufForce, BitConverter.GetBytes(bytes));
        }
        catch (SocketException)
        {
            // Without CAP_NET_ADMIN the kernel caps these at net.core.rmem_max / wmem_max.
            socket.ReceiveBufferSize = bytes;
            socket.SendBufferSize = bytes;
        }

        // Linux reports twice the size it was given (the bookkeeping overhead it adds).
        return socket.ReceiveBufferSize >= bytes && socket.SendBufferSize >= bytes;
    }
}
