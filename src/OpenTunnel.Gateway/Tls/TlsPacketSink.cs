using System.Collections.Concurrent;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// The outbound side of a session's TLS connection. Packets and control frames are queued
/// without waiting and written by one writer task, each frame with its own write so that every
/// frame leaves in exactly one TLS record: openconnect drops a record that holds two frames or
/// part of one ("Unexpected packet length", cstp.c). Data packets beyond the queue limit are
/// dropped so a slow client cannot hold up the TUN reader or other sessions; control frames
/// (DPD responses, DISCONNECT, TERMINATE) always get in. The stream is flushed whenever the
/// queue runs empty, so records can share a send without waiting.
/// The writer wakes on <see cref="Flush"/> (after the data packets of one read of the TUN device)
/// and on every control frame, and runs on the thread that woke it (<see cref="InlineSignal"/>)
/// until a write has to wait for the socket; from there it goes on on the runtime's socket-engine
/// thread that sees the socket writable (docs/gateway.md, "Runtime settings"). A ping's
/// answer thus leaves on the thread that read it from the TUN device, as over DTLS.
/// </summary>
public sealed class TlsPacketSink : IPacketSink
{
    // A lock-free queue: a channel's writer takes a lock for every packet.
    private readonly ConcurrentQueue<OutboundFrame> _queue = new();
    private readonly InlineSignal _wake = new();
    private Stream _stream;
    private readonly SessionTraffic _traffic;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;
    private readonly int _maxQueuedPackets;
    private int _queuedPackets;
    private volatile bool _completed;

    public TlsPacketSink(Stream stream, SessionTraffic traffic, PacketCounters counters, TimeProvider time, int maxQueuedPackets)
    {
        _stream = stream;
        _traffic = traffic;
        _counters = counters;
        _time = time;
        _maxQueuedPackets = maxQueuedPackets;
    }

    public string Name => "TLS";

    /// <summary>Writes to <paramref name="stream"/> instead, the same connection with its records taken over; before <see cref="RunAsync"/> only.</summary>
    internal void UseStream(Stream stream) => _stream = stream;

    public bool TrySend(OutboundPacket packet)
    {
        if (Interlocked.Increment(ref _queuedPackets) > _maxQueuedPackets || _completed)
        {
            Interlocked.Decrement(ref _queuedPackets);
            packet.Return();
            return false;
        }

        _queue.Enqueue(new OutboundFrame(CstpPacketType.Data, packet.Buffer, packet.Length));
        return true;
    }

    /// <summary>Queues a control frame (DPD response, keepalive, DISCONNECT, TERMINATE) with a copy of <paramref name="payload"/>.</summary>
    public void SendControl(CstpPacketType type, ReadOnlySpan<byte> payload)
    {
        if (_completed)
        {
            return;
        }

        var packet = OutboundPacket.CopyOf(payload);
        _queue.Enqueue(new OutboundFrame(type, packet.Buffer, packet.Length));
        _wake.Signal();
    }

    /// <summary>Wakes the writer for the data packets <see cref="TrySend"/> queued.</summary>
    public void Flush() => _wake.Signal();

    /// <summary>No frame is taken after this one; the writer ends once it has written the queue.</summary>
    public void Complete()
    {
        _completed = true;
        _wake.Signal();
    }

    /// <summary>Writes queued frames until <see cref="Complete"/> and the queue is empty, or the link fails.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var cancelled = cancellationToken.Register(_wake.Signal);
        try
        {
            while (true)
            {
                bool wrote = false;
                while (_queue.TryDequeue(out var frame))
                {
                    wrote = true;
                    bool data = frame.Type == CstpPacketType.Data;
                    if (data)
                    {
                        Interlocked.Decrement(ref _queuedPackets);
                    }

                    try
                    {
                        const int start = OutboundPacket.Headroom - CstpFrame.HeaderLength;
                        CstpFrame.WriteHeader(frame.Buffer.AsSpan(start), frame.Type, frame.Length);
                        await _stream.WriteAsync(frame.Buffer.AsMemory(start, CstpFrame.HeaderLength + frame.Length), cancellationToken);
                    }
                    finally
                    {
                        new OutboundPacket(frame.Buffer, frame.Length).Return();
                    }

                    if (data)
                    {
                        _traffic.CountToClient(Transport.Tls, frame.Length, _time.GetTimestamp());
                        _counters.CountToClient(Transport.Tls, frame.Length);
                    }
                }

                if (wrote)
                {
                    // The queue ran empty: send what the transport collected (see CoalescingStream).
                    await _stream.FlushAsync(cancellationToken);
                }

                if (_completed && _queue.IsEmpty)
                {
                    return;
                }

                await _wake.WaitAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            // A packet queued after this (a race with the session's end) is only memory the collector takes back.
            _completed = true;
            while (_queue.TryDequeue(out var left))
            {
                new OutboundPacket(left.Buffer, left.Length).Return();
            }
        }
    }

    private readonly record struct OutboundFrame(CstpPacketType Type, byte[] Buffer, int Length);
}
