using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The <see cref="DatagramTransport"/> one BouncyCastle handshake runs over: datagrams the
/// listener's receive loop routed to this client are queued here (bounded, so a flooding client
/// cannot make the gateway buffer without limit), and what BouncyCastle sends goes straight out
/// of the shared UDP socket to the client.
/// </summary>
internal sealed class DtlsHandshakeTransport : DatagramTransport
{
    /// <summary>Datagrams held for a handshake at most; a handshake needs a handful.</summary>
    public const int QueueCapacity = 16;

    // Handshake flights are small; a larger datagram (an early data record) is simply not for the handshake.
    private const int ReceiveLimit = 4096;
    private const int SendLimit = 1200;

    private readonly Socket _socket;
    private readonly SocketAddress _remote;
    private readonly ConcurrentQueue<byte[]> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private volatile bool _closed;

    public DtlsHandshakeTransport(Socket socket, SocketAddress remote)
    {
        _socket = socket;
        _remote = remote;
    }

    /// <summary>Queues a copy of a datagram for the handshake; false when the queue is full or closed.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || _queue.Count >= QueueCapacity)
        {
            return false;
        }

        _queue.Enqueue(datagram.ToArray());
        _available.Release();
        return true;
    }

    /// <summary>Takes the datagrams still queued when the handshake finished (they belong to the new record layer).</summary>
    public bool TryDequeueLeftover(out byte[] datagram) => _queue.TryDequeue(out datagram!);

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        // BouncyCastle reads zero as "wait forever"; with a handshake timeout set it never asks for that.
        if (_closed || !_available.Wait(waitMillis == 0 ? Timeout.Infinite : waitMillis) || _closed)
        {
            return -1;
        }

        if (!_queue.TryDequeue(out byte[]? datagram))
        {
            return -1;
        }

        int length = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed)
        {
            throw new IOException("The DTLS handshake was cancelled.");
        }

        _socket.SendTo(buffer, SocketFlags.None, _remote);
    }

    /// <summary>Ends the handshake: a waiting Receive returns at once and later sends fail.</summary>
    public void Close()
    {
        _closed = true;
        _available.Release();
    }
}
