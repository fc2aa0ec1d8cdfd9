using System.Net;
using OpenTunnel.Gateway.DataPlane;
using OpenTunnel.Gateway.Listener;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Gateway.Tunnel;

/// <summary>
/// A session's TLS connection after the CONNECT: reads CSTP frames from the client (data to
/// the TUN device, DPD requests answered with the same payload, keepalives, DISCONNECT) while
/// its <see cref="TlsChannel"/> writes frames to it.
/// </summary>
public sealed class CstpConnection
{
    /// <summary>Reason byte openconnect puts in its DISCONNECT payload, and ocserv in its own (0xB0: user request).</summary>
    private const byte DisconnectReasonUser = 0xB0;

    private readonly CancellationTokenSource _closing = new();
    private readonly GatewaySession _session;
    private readonly Stream _stream;
    private readonly ConnectionReader _reader;
    private readonly TunDataPlane _dataPlane;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;
    private Task _writer = Task.CompletedTask;
    private string? _closeReason;

    internal CstpConnection(GatewaySession session, Stream stream, ConnectionReader reader, IPEndPoint client, TunDataPlane dataPlane, PacketCounters counters, TimeProvider time, int maxQueuedPackets)
    {
        _session = session;
        _stream = stream;
        _reader = reader;
        _dataPlane = dataPlane;
        _counters = counters;
        _time = time;
        Client = client;
        Since = time.GetUtcNow();
        Channel = new TlsChannel(stream, session, counters, time, maxQueuedPackets);
    }

    public TlsChannel Channel { get; }

    public IPEndPoint Client { get; }

    public DateTimeOffset Since { get; }

    /// <summary>Set when the client sent DISCONNECT: it logged out, so the session ends.</summary>
    public bool ClientDisconnected { get; private set; }

    /// <summary>Reads frames until the client leaves, the link fails or <see cref="Close"/>; returns why it ended.</summary>
    public async Task<string> RunAsync()
    {
        var token = _closing.Token;
        _writer = Channel.RunAsync(token);
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

        Channel.Complete();
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

    /// <summary>Ends the link now (the session may live on for a reconnect).</summary>
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
        Channel.SendControl(type, type == CstpPacketType.Disconnect ? [DisconnectReasonUser] : []);
        Channel.Complete();
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
        while (true)
        {
            var next = await _reader.ReadFrameAsync(token);
            if (next is not { } frame)
            {
                return _closeReason ?? "closed by the client";
            }

            _session.MarkReceived(_time.GetUtcNow().UtcTicks);
            var payload = _reader.Buffer.AsSpan(frame.Offset, frame.Length);
            switch (frame.Type)
            {
                case CstpPacketType.Data:
                    // ocserv: data over TLS while DTLS is up means the client gave up DTLS; answer over TLS too.
                    _session.Dtls?.OnTlsData();
                    _dataPlane.FromClient(_session, payload);
                    if (!_reader.HasBufferedFrame)
                    {
                        // Before this task waits for the client: what the kernel answered leaves now (TunDataPlane.DrainNow).
                        _dataPlane.DrainNow();
                    }

                    break;
                case CstpPacketType.DpdRequest:
                    // Same payload back: openconnect probes the MTU with padded DPDs (PROTOCOL.md §4).
                    Channel.SendControl(CstpPacketType.DpdResponse, payload);
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
}
