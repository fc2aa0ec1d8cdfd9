using System.Net;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// A session's TLS connection after the CONNECT: reads CSTP frames from the client (data to
/// its session through <see cref="ICstpInbound"/>, DPD requests answered with the same payload,
/// keepalives, DISCONNECT) while its <see cref="TlsPacketSink"/> writes frames to it.
/// </summary>
public sealed class CstpConnection
{
    /// <summary>Reason byte openconnect puts in its DISCONNECT payload, and ocserv in its own (0xB0: user request).</summary>
    private const byte DisconnectReasonUser = 0xB0;

    /// <summary>
    /// Data frames handed to the session at most between two <see cref="ICstpInbound.OnReadIdle"/>
    /// calls while the client's records keep arriving (about one joined TUN write of full-size packets).
    /// </summary>
    internal const int MaxDataFramesBeforeIdle = 48;

    private readonly CancellationTokenSource _closing = new();
    private readonly ICstpInbound _inbound;
    private Stream _stream;
    private readonly ConnectionReader _reader;
    private readonly PacketCounters _counters;
    private Task _writer = Task.CompletedTask;
    private string? _closeReason;

    public CstpConnection(ICstpInbound inbound, Stream stream, ConnectionReader reader, IPEndPoint client, SessionTraffic traffic, PacketCounters counters, TimeProvider time, int maxQueuedPackets)
    {
        ArgumentNullException.ThrowIfNull(time);
        _inbound = inbound;
        _stream = stream;
        _reader = reader;
        _counters = counters;
        Client = client;
        Since = time.GetUtcNow();
        Sink = new TlsPacketSink(stream, traffic, counters, time, maxQueuedPackets);
    }

    /// <summary>Where the session's packets go while TLS is its path.</summary>
    public TlsPacketSink Sink { get; }

    public IPEndPoint Client { get; }

    public DateTimeOffset Since { get; }

    /// <summary>Set when the client sent DISCONNECT: it logged out, so the session ends.</summary>
    public bool ClientDisconnected { get; private set; }

    /// <summary>
    /// Carries on over <paramref name="stream"/>, the same connection with its TLS records taken
    /// over (<see cref="TlsRecordStream"/>); before <see cref="RunAsync"/> only.
    /// </summary>
    public void UseStream(Stream stream)
    {
        _stream = stream;
        _reader.Continue(stream);
        Sink.UseStream(stream);
    }

    /// <summary>Reads frames until the client leaves, the link fails or <see cref="Close"/>; returns why it ended.</summary>
    public async Task<string> RunAsync()
    {
        var token = _closing.Token;
        _writer = Sink.RunAsync(token);
        string reason;
        try
        {
            reason = await ReadLoopAsync(token);
        }
        catch (OperationCanceledException)
        {
            reason = _closeReason ?? "closed";
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            reason = _closeReason ?? (e is InvalidDataException ? "out of step: " + e.Message : "link failed: " + e.Message);
        }

        Sink.Complete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // The link is gone; the queued frames have nowhere to go.
        }

        return reason;
    }

    /// <summary>Why the gateway closed the link (<see cref="Close"/>); null while it has not.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>
    /// Ends the link now: its reads and writes stop (the session may live on for a reconnect). The
    /// socket closes with the stream of a connection taken over at its CONNECT, otherwise as the
    /// connection's run returns (SslStream leaves it open: ClientConnection.RunAsync).
    /// </summary>
    public void Close(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }

        _stream.Dispose();
    }

    /// <summary>
    /// Tells the client to go (DISCONNECT when its session ended, TERMINATE when the gateway
    /// stops; openconnect quits on either), lets the frame out, then closes the link.
    /// </summary>
    public async Task SendFinalFrameAndCloseAsync(CstpPacketType type, string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        Sink.SendControl(type, type == CstpPacketType.Disconnect ? [DisconnectReasonUser] : []);
        Sink.Complete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // Closing anyway.
        }

        Close(reason);
    }

    private async Task<string> ReadLoopAsync(CancellationToken token)
    {
        // Data handed to the session since the last OnReadIdle: the data plane may hold some of it.
        bool dataSinceIdle = false;
        int dataFrames = 0;
        try
        {
            while (true)
            {
                if (dataFrames >= MaxDataFramesBeforeIdle && !_reader.HasBufferedFrame)
                {
                    // A long run: let the held packets go and what the kernel answered come back.
                    _inbound.OnReadIdle();
                    dataSinceIdle = false;
                    dataFrames = 0;
                }

                var reading = _reader.ReadFrameAsync(token);
                if (dataSinceIdle && !reading.IsCompleted)
                {
                    // This task is about to wait for the client (and may go on on another thread):
                    // first, on this thread, the packets the data plane holds leave, and so does
                    // what the kernel answered (TunDataPlane.DrainNow). A read that completes at
                    // once (a frame buffered, or the client's next records already received) goes
                    // on first, so that more of an upload joins one TUN write: SslStream hands
                    // over at most about 16 KB of records per read. The pending read touches only
                    // the reader, never what OnReadIdle touches.
                    _inbound.OnReadIdle();
                    dataSinceIdle = false;
                    dataFrames = 0;
                }

                var next = await reading;
                if (next is not { } frame)
                {
                    return _closeReason ?? "closed by the client";
                }

                _inbound.OnReceived();
                var payload = _reader.Buffer.AsSpan(frame.Offset, frame.Length);
                switch (frame.Type)
                {
                    case CstpPacketType.Data:
                        // Marked first: whatever the packet's handling does, OnReadIdle follows.
                        dataSinceIdle = true;
                        dataFrames++;
                        _inbound.OnDataPacket(payload);
                        break;
                    case CstpPacketType.DpdRequest:
                        // Same payload back: openconnect probes the MTU with padded DPDs (PROTOCOL.md §4).
                        Sink.SendControl(CstpPacketType.DpdResponse, payload);
                        break;
                    case CstpPacketType.DpdResponse:
                    case CstpPacketType.Keepalive:
                        break;
                    case CstpPacketType.Disconnect:
                        ClientDisconnected = true;
                        return "the client disconnected";
                    default:
                        _counters.CountDrop(DropReason.UnexpectedFrame);
                        break;
                }
            }
        }
        finally
        {
            if (dataSinceIdle)
            {
                _inbound.OnReadIdle();
            }
        }
    }
}
