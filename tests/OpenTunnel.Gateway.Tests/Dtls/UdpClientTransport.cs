using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Gateway.Tests.Dtls;

/// <summary>
/// A DTLS client's UDP socket on loopback, for BouncyCastle: connected to the listener, with a
/// copy of every datagram sent (to replay or corrupt them) and a way to move to a new source
/// port mid-session, as a client behind a rebinding NAT does.
/// </summary>
internal sealed class UdpClientTransport : DatagramTransport, IDisposable
{
    private readonly IPEndPoint _server;
    private volatile Socket _socket;
    private int _received;

    public UdpClientTransport(IPEndPoint server)
    {
        _server = server;
        _socket = Open(server);
    }

    /// <summary>Datagrams received after this many are ignored (default: none are).</summary>
    public int DeafAfter { get; init; } = int.MaxValue;

    /// <summary>Every datagram sent so far, in order.</summary>
    public BlockingCollection<byte[]> SentDatagrams { get; } = [];

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Sends raw bytes from this client's address and port.</summary>
    public void SendRaw(byte[] datagram) => _socket.Send(datagram);

    /// <summary>Continues from a new source port; the old socket is closed.</summary>
    public void MoveToNewPort()
    {
        var old = _socket;
        _socket = Open(_server);
        old.Dispose();
    }

    public int GetReceiveLimit() => 65535;

    public int GetSendLimit() => 1400;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        var socket = _socket;
        try
        {
            if (!socket.Poll(TimeSpan.FromMilliseconds(waitMillis == 0 ? 60_000 : waitMillis), SelectMode.SelectRead))
            {
                return -1;
            }

            int length = socket.Receive(buffer);
            // A client that stops hearing the server mid-handshake: it keeps waiting and retransmitting.
            return Interlocked.Increment(ref _received) > DeafAfter ? -1 : length;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Thrown rather than "nothing arrived", so a BouncyCastle handshake on a closed socket ends at once.
            throw new IOException("The client's UDP socket failed: " + e.Message, e);
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        SentDatagrams.Add(buffer.ToArray());
        _socket.Send(buffer);
    }

    public void Close()
    {
    }

    public void Dispose() => _socket.Dispose();

    private static Socket Open(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(server);
        return socket;
    }
}
