using System.Collections.Concurrent;
using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Testing.Dtls;

/// <summary>
/// One end of an in-memory datagram link for BouncyCastle: what one end sends, the other
/// receives, whole. Tests can also read what was sent (<see cref="Sent"/>) or inject datagrams.
/// </summary>
public sealed class InMemoryDatagramTransport : DatagramTransport
{
    private readonly BlockingCollection<byte[]> _inbox = new();
    private InMemoryDatagramTransport? _peer;

    /// <summary>When set, datagrams sent go here instead of to the peer.</summary>
    public BlockingCollection<byte[]>? Sent { get; set; }

    public static (InMemoryDatagramTransport A, InMemoryDatagramTransport B) CreatePair()
    {
        var a = new InMemoryDatagramTransport();
        var b = new InMemoryDatagramTransport();
        a._peer = b;
        b._peer = a;
        return (a, b);
    }

    public void Inject(byte[] datagram) => _inbox.Add(datagram);

    /// <summary>
    /// The first datagram a BouncyCastle client sends (its ClientHello) when resuming
    /// <paramref name="sessionId"/>; the client is stopped afterwards.
    /// </summary>
    public static byte[] CaptureClientHello(DtlsSessionId sessionId)
    {
        var transport = new InMemoryDatagramTransport { Sent = new BlockingCollection<byte[]>() };
        var client = Task.Run(() => ResumingDtlsClient.Connect(transport, sessionId, new byte[48]));
        try
        {
            return transport.Sent.Take(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        finally
        {
            transport.Close();
            StopClient(client);
        }
    }

    /// <summary>The stopped client's handshake must fail: it never got an answer.</summary>
    private static void StopClient(Task client)
    {
        try
        {
            client.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or Org.BouncyCastle.Tls.TlsFatalAlert or Org.BouncyCastle.Tls.TlsTimeoutException)
        {
            return;
        }

        throw new InvalidOperationException("the DTLS client completed a handshake nobody answered");
    }

    public int GetReceiveLimit() => 65535;

    public int GetSendLimit() => 65535;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_inbox.IsAddingCompleted)
        {
            throw new IOException("The in-memory transport was closed.");
        }

        if (!_inbox.TryTake(out byte[]? datagram, waitMillis == 0 ? Timeout.Infinite : waitMillis))
        {
            return -1;
        }

        int length = Math.Min(buffer.Length, datagram.Length);
        datagram.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (Sent is not null)
        {
            Sent.Add(buffer.ToArray());
        }
        else
        {
            _peer!._inbox.Add(buffer.ToArray());
        }
    }

    /// <summary>Makes a blocked or later Receive fail, so a BouncyCastle handshake on this end ends at once.</summary>
    public void Close() => _inbox.CompleteAdding();
}
