using System.Buffers;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Client.Native;

/// <summary>Why a channel ended.</summary>
public enum ChannelEnd
{
    /// <summary>The caller stopped it (the user disconnects).</summary>
    Stopped,

    /// <summary>The gateway sent DISCONNECT: the session is over (logged out, revoked or timed out).</summary>
    ServerDisconnected,

    /// <summary>The gateway sent TERMINATE: it shuts down; a reconnect may find it again.</summary>
    ServerTerminated,

    /// <summary>Nothing came from the gateway for twice the DPD interval.</summary>
    PeerDead,

    /// <summary>The connection closed or failed.</summary>
    LinkLost,
}

/// <summary>
/// The CSTP channel over the TLS stream after CONNECT (openconnect cstp.c): DATA frames in both
/// directions, DPD requests answered with the same payload, the client's own DPD probes and
/// keepalives on the <see cref="LinkTimers"/>, DISCONNECT to leave. Every frame is one write, so
/// one TLS record (ocserv drops a record holding two frames or half of one), and every send ends
/// with a flush, so that a coalescing stream sends the records of a run of packets together.
/// </summary>
public sealed class CstpChannel : IDisposable
{
    /// <summary>openconnect's DISCONNECT payload: reason 0xB0 (user request) and text (cstp.c <c>cstp_bye</c>).</summary>
    private static readonly byte[] s_disconnectPayload = [0xB0, .. "Client disconnected"u8];

    private readonly Stream _stream;
    private readonly TimeProvider _time;
    private readonly LinkTimers _timers;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly byte[] _readBuffer = ArrayPool<byte>.Shared.Rent(CstpFrame.HeaderLength + CstpFrame.MaxPayloadLength);
    private readonly byte[] _controlFrame = new byte[CstpFrame.HeaderLength + CstpFrame.MaxPayloadLength];
    private int _start;
    private int _end;
    private long _dpdSentAt;
    private long _bytesIn;
    private long _bytesOut;
    private long _packetsIn;
    private long _packetsOut;

    /// <param name="stream">The TLS stream the CONNECT was answered on.</param>
    /// <param name="alreadyRead">Bytes that arrived with the CONNECT answer (the first frames).</param>
    /// <param name="dpd">The gateway's X-CSTP-DPD; zero: no probes.</param>
    /// <param name="keepalive">The gateway's X-CSTP-Keepalive; zero: no keepalives.</param>
    /// <param name="time">The clock of the timers.</param>
    public CstpChannel(Stream stream, ReadOnlySpan<byte> alreadyRead, TimeSpan dpd, TimeSpan keepalive, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(time);
        _stream = stream;
        _time = time;
        _timers = new LinkTimers(dpd, keepalive, Now);
        alreadyRead.CopyTo(_readBuffer);
        _end = alreadyRead.Length;
    }

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long PacketsIn => Interlocked.Read(ref _packetsIn);

    public long PacketsOut => Interlocked.Read(ref _packetsOut);

    /// <summary>The round trip of the last answered DPD probe, or null before the first.</summary>
    public TimeSpan? LastRoundTrip { get; private set; }

    private TimeSpan Now => _time.GetElapsedTime(0);

    /// <summary>
    /// Reads frames (each DATA payload goes to <paramref name="deliver"/>) and runs the timers until
    /// the gateway leaves, the link fails, the peer is declared dead or <paramref name="cancellationToken"/> stops it.
    /// </summary>
    public async Task<ChannelEnd> RunAsync(Action<ReadOnlyMemory<byte>> deliver, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<ChannelEnd> reading = ReadLoopAsync(deliver, both.Token);
        Task<ChannelEnd> timing = TimerLoopAsync(both.Token);
        Task<ChannelEnd> first = await Task.WhenAny(reading, timing);
        await both.CancelAsync();
        ChannelEnd end = await first;
        await Task.WhenAll(reading, timing);
        return cancellationToken.IsCancellationRequested ? ChannelEnd.Stopped : end;
    }

    /// <summary>
    /// Sends the packets of <paramref name="batch"/>: a write for each frame (one TLS record each),
    /// then one flush (on a coalescing stream, one send for all of them); empties the batch once
    /// they are written.
    /// </summary>
    public async ValueTask SendAsync(CstpFrameBatch batch, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var frames = batch.Frames;
            for (int offset = 0; offset < frames.Length;)
            {
                CstpFrame.TryReadHeader(frames.Span[offset..], out _, out int length);
                int frameLength = CstpFrame.HeaderLength + length;
                await _stream.WriteAsync(frames.Slice(offset, frameLength), cancellationToken);
                offset += frameLength;
            }

            await _stream.FlushAsync(cancellationToken);
            _timers.Sent(Now);
        }
        finally
        {
            _writeGate.Release();
        }

        Interlocked.Add(ref _packetsOut, batch.Packets);
        Interlocked.Add(ref _bytesOut, batch.PayloadBytes);
        batch.Clear();
    }

    /// <summary>Says goodbye as openconnect does on SIGINT/SIGTERM: a DISCONNECT frame with reason "user".</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        await SendControlAsync(CstpPacketType.Disconnect, s_disconnectPayload, cancellationToken);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_readBuffer);
        _writeGate.Dispose();
    }

    private async Task<ChannelEnd> ReadLoopAsync(Action<ReadOnlyMemory<byte>> deliver, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (!await FillAsync(CstpFrame.HeaderLength, cancellationToken))
                {
                    return ChannelEnd.LinkLost;
                }

                if (CstpFrame.TryReadHeader(_readBuffer.AsSpan(_start, _end - _start), out var type, out int length) == CstpHeaderStatus.BadMagic)
                {
                    // Out of step: nothing after this can be trusted to be a frame.
                    return ChannelEnd.LinkLost;
                }

                if (!await FillAsync(CstpFrame.HeaderLength + length, cancellationToken))
                {
                    return ChannelEnd.LinkLost;
                }

                var payload = _readBuffer.AsMemory(_start + CstpFrame.HeaderLength, length);
                _start += CstpFrame.HeaderLength + length;
                _timers.Received(Now);
                switch (type)
                {
                    case CstpPacketType.Data:
                        Interlocked.Increment(ref _packetsIn);
                        Interlocked.Add(ref _bytesIn, length);
                        deliver(payload);
                        break;
                    case CstpPacketType.DpdRequest:
                        await SendControlAsync(CstpPacketType.DpdResponse, payload.Span.ToArray(), cancellationToken);
                        break;
                    case CstpPacketType.DpdResponse:
                        long sent = Interlocked.Exchange(ref _dpdSentAt, 0);
                        if (sent != 0)
                        {
                            LastRoundTrip = _time.GetElapsedTime(sent);
                        }

                        break;
                    case CstpPacketType.Disconnect:
                        return ChannelEnd.ServerDisconnected;
                    case CstpPacketType.Terminate:
                        return ChannelEnd.ServerTerminated;
                    default:
                        // KEEPALIVE, and types this client never negotiated (COMPRESSED): only proof of life.
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return ChannelEnd.LinkLost;
        }
        catch (OperationCanceledException)
        {
            return ChannelEnd.Stopped;
        }
    }

    /// <summary>
    /// Runs the timers. A probe or keepalive is sent beside the loop, never awaited by it: when the
    /// link dies mid-upload, the TUN reader's write waits on a full TCP send buffer holding the
    /// write gate, and a loop waiting behind it would never declare the peer dead.
    /// </summary>
    private async Task<ChannelEnd> TimerLoopAsync(CancellationToken cancellationToken)
    {
        Task<bool> sending = Task.FromResult(true);
        try
        {
            while (true)
            {
                await Task.Delay(_timers.Wait(Now), _time, cancellationToken);
                if (sending.IsCompleted && !await sending)
                {
                    return ChannelEnd.LinkLost;
                }

                switch (_timers.Next(Now))
                {
                    case LinkAction.PeerDead:
                        return ChannelEnd.PeerDead;
                    case LinkAction.SendDpd when sending.IsCompleted:
                        Interlocked.CompareExchange(ref _dpdSentAt, _time.GetTimestamp(), 0);
                        sending = TrySendControlAsync(CstpPacketType.DpdRequest, cancellationToken);
                        break;
                    case LinkAction.SendKeepalive when sending.IsCompleted:
                        sending = TrySendControlAsync(CstpPacketType.Keepalive, cancellationToken);
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return ChannelEnd.Stopped;
        }
    }

    /// <summary>Sends an empty control frame; false when the link failed.</summary>
    private async Task<bool> TrySendControlAsync(CstpPacketType type, CancellationToken cancellationToken)
    {
        try
        {
            await SendControlAsync(type, [], cancellationToken);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            return cancellationToken.IsCancellationRequested;
        }
    }

    private async Task SendControlAsync(CstpPacketType type, byte[] payload, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            CstpFrame.WriteHeader(_controlFrame, type, payload.Length);
            payload.CopyTo(_controlFrame, CstpFrame.HeaderLength);
            await _stream.WriteAsync(_controlFrame.AsMemory(0, CstpFrame.HeaderLength + payload.Length), cancellationToken);
            await _stream.FlushAsync(cancellationToken);
            _timers.Sent(Now);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Reads until <paramref name="count"/> bytes from the current frame start are buffered; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _readBuffer.AsSpan(_start, _end - _start).CopyTo(_readBuffer);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            int read = await _stream.ReadAsync(_readBuffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}
