using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Addressing;
using OpenTunnel.Gateway.Dtls;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Platform.Linux.Tun;

namespace OpenTunnel.Gateway.DataPlane;

/// <summary>
/// Moves packets between the sessions and the gateway's one TUN device (an <see cref="IPacketDevice"/>). From a client: the
/// source must be the session's leased address, else the packet is dropped and counted (a client
/// cannot speak for another address); traffic to another client's address is dropped unless
/// allowed. With <see cref="TlsWindowClamp"/> or <see cref="DtlsWindowClamp"/>, the TCP handshakes
/// in both directions teach each session's <see cref="TcpWindowClamp"/>, which lowers the windows a
/// client advertises over that transport (<see cref="FromClient"/> with a window limit). On a device with offloads, consecutive TCP segments of one flow from a receive loop
/// are held and written as one (<see cref="TcpCoalescer"/>) when that loop calls
/// <see cref="DrainNow"/>, before it waits for more. From the TUN device: the DTLS receive loop
/// (<see cref="AttachDeviceReader"/>), or without one a dedicated thread, reads each packet into a
/// pooled buffer and hands it to the session that owns the destination address (a lookup by
/// address), without waiting on that client. Nothing on these paths allocates per packet.
/// </summary>
public sealed class TunDataPlane : IDataPlane, IDisposable
{
    private readonly Ipv4Routes _routes;
    private readonly ConcurrentDictionary<Ipv6Number, GatewaySession> _routes6 = new();
    private readonly IPacketDevice _tun;
    private readonly IPv4AddressPool _pool;
    private readonly IPv6AddressPool? _pool6;
    private readonly PacketCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _mtu;
    /// <summary>Packets one reader takes before it lets the other one in.</summary>
    private const int DrainBatch = 64;

    /// <summary>Held by whichever thread reads the device: the TUN reader, or a <see cref="DrainNow"/> caller.</summary>
    private readonly Lock _draining = new();

    /// <summary>The sinks that took packets in the current drain, flushed at its end (under <see cref="_draining"/>).</summary>
    private readonly IPacketSink?[] _toFlush = new IPacketSink?[DrainBatch];
    private int _toFlushCount;
    private Thread? _reader;
    private volatile bool _stopping;

    /// <summary>True while a receive loop reads the device and the TUN reader thread waits (<see cref="AttachDeviceReader"/>).</summary>
    private volatile bool _loopReads;

    /// <summary>Wakes the waiting TUN reader thread when the loop that read the device instead ends.</summary>
    private readonly AutoResetEvent _readerResumes = new(false);

    /// <summary>1 while the TUN reader waits for a <see cref="DrainNow"/> to end; that caller then sets <see cref="_drainEnded"/>.</summary>
    private int _readerWaiting;

    /// <summary>Wakes the TUN reader when the <see cref="DrainNow"/> it waited for ended; a wait that blocks at once, without spinning.</summary>
    private readonly AutoResetEvent _drainEnded = new(false);

    /// <summary>
    /// The TCP segments from clients this thread holds to write as one (only on a device with
    /// offloads): a receive loop's packets of one flow join until it calls <see cref="DrainNow"/>.
    /// A thread static rather than a ThreadLocal, whose lookup took about 2 % of the DTLS loop's CPU
    /// per ping and ran for every packet from a client.
    /// </summary>
    [ThreadStatic]
    private static TcpCoalescer? t_held;

    /// <summary>The data plane <see cref="t_held"/> holds segments for, set at this thread's first write from a client since its last <see cref="DrainNow"/>; null after that.</summary>
    [ThreadStatic]
    private static TunDataPlane? t_heldFor;

    /// <summary>
    /// The data plane whose device wake-ups this thread suspended (a TLS read loop's thread,
    /// between its first packet and its <see cref="DrainNow"/>); null while it suspended none.
    /// </summary>
    [ThreadStatic]
    private static TunDataPlane? t_wakeupsSuspendedBy;

    public TunDataPlane(IPacketDevice tun, int mtu, IPv4AddressPool pool, IPv6AddressPool? pool6, PacketCounters counters, TimeProvider time, ILogger logger)
    {
        _tun = tun;
        _mtu = mtu;
        _pool = pool;
        _routes = new Ipv4Routes(pool);
        _pool6 = pool6;
        _counters = counters;
        _time = time;
        _logger = logger;
        counters.ReadTunQueueDropsFrom(() => tun.QueueDrops);
    }

    /// <summary>Let clients reach each other's addresses (Network:AllowClientToClient); may change on reload.</summary>
    public bool AllowClientToClient { get; set; }

    /// <summary>
    /// Lower the windows of the sessions' TCP flows in what their clients send over TLS
    /// (Network:TlsWindowClamp) to the limit <see cref="FromClient"/> is given; may change on reload.
    /// </summary>
    public bool TlsWindowClamp { get; set; }

    /// <summary>The same over DTLS (Network:DtlsWindowClamp); may change on reload.</summary>
    public bool DtlsWindowClamp { get; set; }

    /// <summary>Either clamp follows the sessions' TCP handshakes in both directions (<see cref="GatewaySession.TcpFlows"/>).</summary>
    private bool TrackTcpFlows => TlsWindowClamp || DtlsWindowClamp;

    /// <summary>Routes packets for the session's leased addresses to it.</summary>
    public void Register(GatewaySession session)
    {
        _routes.Set(session.IPv4Address, session);
        if (session.IPv6Address != Ipv6Number.Zero)
        {
            _routes6[session.IPv6Address] = session;
        }
    }

    /// <summary>Stops routing to the session (only the addresses still its own).</summary>
    public void Unregister(GatewaySession session)
    {
        _routes.Remove(session.IPv4Address, session);
        _routes6.TryRemove(new KeyValuePair<Ipv6Number, GatewaySession>(session.IPv6Address, session));
    }

    public void Start()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "TUN reader " + _tun.Name };
        _reader.Start();
    }

    /// <summary>
    /// Takes one IP packet a client sent through its tunnel and writes it to the TUN device,
    /// unless it is malformed, its source is not the session's address, or it is for another
    /// client while that is not allowed.
    /// </summary>
    public void FromClient(GatewaySession session, Transport transport, Span<byte> packet, TcpWindowLimit? tcpWindowLimit = null)
    {
        int length = Admit(session, packet);
        if (length > 0)
        {
            var admitted = packet[..length];
            if (TrackTcpFlows)
            {
                bool clamp = transport == Transport.Tls ? TlsWindowClamp : DtlsWindowClamp;
                TcpFlowsFor(session, admitted)?.FromClient(admitted, clamp ? tcpWindowLimit : null);
            }

            if (transport == Transport.Tls)
            {
                SuspendReaderWakeups(admitted);
            }

            Write(session, transport, admitted);
        }
    }

    /// <summary>
    /// A TLS read loop writes on its own thread and then reads the device itself (<see cref="DrainNow"/>):
    /// until then, what the kernel answers does not wake the device's reader on another core
    /// (<see cref="IPacketDevice.SuspendWakeups"/>), which a ping's reply over TLS did each time,
    /// inside the write. Once per thread until its DrainNow. A bare TCP acknowledgement does not
    /// suspend them: what answers it is a download's next data, which the device's reader goes on
    /// reading on its own core while this thread reads the client's next records.
    /// </summary>
    private void SuspendReaderWakeups(ReadOnlySpan<byte> packet)
    {
        // Decided once per thread until its DrainNow: the packets after the first one are not parsed.
        if (t_wakeupsSuspendedBy == this || TcpWindowClamp.IsBareAcknowledgement(packet))
        {
            return;
        }

        t_wakeupsSuspendedBy?.ResumeReaderWakeups();
        _tun.SuspendWakeups();
        t_wakeupsSuspendedBy = this;
    }

    private void ResumeReaderWakeups()
    {
        if (t_wakeupsSuspendedBy == this)
        {
            t_wakeupsSuspendedBy = null;
            _tun.ResumeWakeups();
        }
    }

    /// <summary>The session's TCP flows, made at the first SYN; null while it has none and this packet opens none.</summary>
    private static TcpWindowClamp? TcpFlowsFor(GatewaySession session, ReadOnlySpan<byte> packet) =>
        session.TcpFlows ?? (TcpWindowClamp.OpensFlow(packet) ? session.StartTcpFlows() : null);

    /// <summary>
    /// The length of the IP packet to write, or 0 when it is dropped (and counted): malformed,
    /// its source not the session's address, or for another client while that is not allowed.
    /// </summary>
    private int Admit(GatewaySession session, ReadOnlySpan<byte> packet)
    {
        if (IpPacket.Version(packet) == 6)
        {
            return Admit6(session, packet);
        }

        if (!IpPacket.TryReadIpv4(packet, out var header))
        {
            _counters.CountDrop(DropReason.Malformed);
            return 0;
        }

        if (header.Source != session.IPv4Address)
        {
            _counters.CountDrop(DropReason.SpoofedSource);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                GatewayLog.SpoofedPacket(_logger, session.Id, IPv4AddressPool.ToAddress(header.Source), IPv4AddressPool.ToAddress(session.IPv4Address));
            }

            return 0;
        }

        if (!AllowClientToClient && header.Destination != _pool.GatewayAddress && _pool.Contains(header.Destination))
        {
            _counters.CountDrop(DropReason.ClientToClient);
            return 0;
        }

        return header.TotalLength;
    }

    /// <summary>The IPv6 side of <see cref="Admit"/>: the session must hold an IPv6 address, and it must be the source.</summary>
    private int Admit6(GatewaySession session, ReadOnlySpan<byte> packet)
    {
        if (!IpPacket.TryReadIpv6(packet, out var header))
        {
            _counters.CountDrop(DropReason.Malformed);
            return 0;
        }

        if (session.IPv6Address == Ipv6Number.Zero)
        {
            // Router solicitations and the like from a client that got no IPv6 address.
            _counters.CountDrop(DropReason.NoIPv6Address);
            return 0;
        }

        if (header.Source != session.IPv6Address)
        {
            _counters.CountDrop(DropReason.SpoofedSource);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                GatewayLog.SpoofedPacket(_logger, session.Id, header.Source.ToAddress(), session.IPv6Address.ToAddress());
            }

            return 0;
        }

        if (!AllowClientToClient && _pool6 is not null && header.Destination != _pool6.GatewayAddress && _pool6.Contains(header.Destination))
        {
            _counters.CountDrop(DropReason.ClientToClient);
            return 0;
        }

        return IpPacket.Ipv6HeaderLength + header.PayloadLength;
    }

    private void Write(GatewaySession session, Transport transport, ReadOnlySpan<byte> packet)
    {
        session.Traffic.CountFromClient(transport, packet.Length, _time.GetTimestamp());
        _counters.CountFromClient(transport, packet.Length);
        if (!_tun.Offloads)
        {
            WriteOne(packet);
            return;
        }

        var held = HeldOfThisThread();
        if (held.TryAppend(packet))
        {
            return;
        }

        WriteHeld(held);
        if (!held.TryStart(packet))
        {
            WriteOne(packet);
        }
    }

    /// <summary>This thread's held segments, for this data plane: another one's (a thread that serves two, as tests do) are written to their device first.</summary>
    private TcpCoalescer HeldOfThisThread()
    {
        var held = t_held ??= new TcpCoalescer();
        if (t_heldFor != this)
        {
            t_heldFor?.WriteHeld(held);
            t_heldFor = this;
        }

        return held;
    }

    private void WriteOne(ReadOnlySpan<byte> packet)
    {
        if (!_tun.Write(packet))
        {
            _counters.CountDrop(DropReason.TunWriteFailed);
        }
    }

    /// <summary>Writes the TCP segments this thread holds, joined, in one write (none: nothing).</summary>
    private void WriteHeld(TcpCoalescer held)
    {
        if (held.Count == 0)
        {
            return;
        }

        var packet = held.Finish(out var header);
        if (!_tun.Write(header, packet))
        {
            _counters.CountDrops(DropReason.TunWriteFailed, held.Count);
        }

        held.Clear();
    }

    public void Dispose()
    {
        if (_stopping)
        {
            // Disposed already: the gateway stops its data plane, and the host disposes it again.
            return;
        }

        _stopping = true;
        _readerResumes.Set();
        _reader?.Join(TimeSpan.FromSeconds(2));
        _drainEnded.Dispose();
        _readerResumes.Dispose();
    }

    /// <summary>
    /// Lets a receive loop read the device instead of the TUN reader thread: the loop waits on the
    /// returned file descriptor together with its socket, and calls <see cref="ReadDevice"/> after
    /// each batch it received and whenever the device was readable. The DTLS receive loop does, so
    /// one thread carries both directions of a DTLS session, as ocserv's worker process does: an
    /// answer the kernel queues while that thread writes a client's packet wakes no other thread.
    /// Returns -1, and the reader thread carries on, when the device has no file descriptor.
    /// </summary>
    public int AttachDeviceReader()
    {
        int fd = _tun.FileDescriptor;
        if (fd >= 0)
        {
            _loopReads = true;
        }

        return fd;
    }

    /// <summary>The loop attached by <see cref="AttachDeviceReader"/> ends: the TUN reader thread reads the device again.</summary>
    public void DetachDeviceReader()
    {
        _loopReads = false;
        _readerResumes.Set();
    }

    /// <summary>
    /// For the loop attached by <see cref="AttachDeviceReader"/>: writes the packets this thread
    /// holds, then reads what the device holds and hands it to the sessions. While another thread
    /// drains (a TLS connection's <see cref="DrainNow"/>), it waits for that to end and returns
    /// <see cref="DeviceRead.More"/>. Without an attached loop, it is <see cref="DrainNow"/>.
    /// </summary>
    public DeviceRead ReadDevice()
    {
        if (!_loopReads)
        {
            DrainNow();
            return DeviceRead.Drained;
        }

        WriteHeldOfThisThread();
        if (!TryEnterAsReader())
        {
            // Another thread's drain ended meanwhile: what it left is for the loop's next call.
            return DeviceRead.More;
        }

        var read = DrainEntered();
        if (read == DeviceRead.Failed)
        {
            // The loop stops waiting on the device; the reader thread meets the failure too and reports it.
            DetachDeviceReader();
        }

        return read;
    }

    /// <summary>
    /// Reads what the TUN device holds now and hands it to the sessions, on the caller's thread,
    /// unless another thread is doing that already. A TLS connection's read loop calls it after
    /// writing what it read: an answer the kernel produced while those writes ran (a ping reply, a
    /// TCP acknowledgement from a host next to the gateway) then leaves at once, instead of waiting
    /// for the thread that reads the device. On a virtual machine that wake-up costs about as
    /// much as the rest of the round trip (docs/gateway.md, "Latency"). ocserv gets the same effect
    /// from one worker process serving both directions of a session.
    /// </summary>
    public void DrainNow()
    {
        try
        {
            WriteHeldOfThisThread();
            if (_draining.TryEnter())
            {
                DrainEntered();
            }
        }
        finally
        {
            // After the drain: an answer it did not take (one that came later) wakes the reader now.
            ResumeReaderWakeups();
        }
    }

    private void WriteHeldOfThisThread()
    {
        if (t_heldFor == this)
        {
            WriteHeld(t_held!);
            t_heldFor = null;
        }
    }

    /// <summary>Drains the device under <see cref="_draining"/>, which the caller took, and lets it go.</summary>
    private DeviceRead DrainEntered()
    {
        byte[] buffer = OutboundPacket.RentBuffer(_mtu);
        try
        {
            return DrainLocked(ref buffer) ? DeviceRead.More : DeviceRead.Drained;
        }
        catch (Exception e) when (e is TunDeviceException or ObjectDisposedException)
        {
            // The TUN reader thread reports a broken device; this is only a shortcut.
            return DeviceRead.Failed;
        }
        finally
        {
            ExitDraining();
            new OutboundPacket(buffer, 0).Return();
        }
    }

    /// <summary>Lets <see cref="_draining"/> go, and wakes a reader that waits for that (<see cref="TryEnterAsReader"/>).</summary>
    private void ExitDraining()
    {
        _draining.Exit();
        if (Interlocked.Exchange(ref _readerWaiting, 0) == 1)
        {
            _drainEnded.Set();
        }
    }

    private void ReadLoop()
    {
        byte[] buffer = OutboundPacket.RentBuffer(_mtu);
        try
        {
            while (!_stopping)
            {
                if (_loopReads)
                {
                    _readerResumes.WaitOne(250);
                    continue;
                }

                // Also after a wait that timed out: a packet queued while a writer had suspended the
                // device's wake-ups and not taken by it is read within the timeout all the same.
                _tun.WaitForPacket(250);
                if (!TryEnterAsReader())
                {
                    continue;
                }

                try
                {
                    DrainLocked(ref buffer);
                }
                finally
                {
                    ExitDraining();
                }
            }
        }
        catch (Exception e) when (e is TunDeviceException or ObjectDisposedException)
        {
            if (!_stopping)
            {
                GatewayLog.TunReadFailed(_logger, e.Message);
            }
        }
        finally
        {
            new OutboundPacket(buffer, 0).Return();
        }
    }

    /// <summary>
    /// Takes <see cref="_draining"/> for the thread that reads the device (the TUN reader, or the
    /// loop attached in its place), or, while a <see cref="DrainNow"/> holds it (it reads the packet
    /// that woke the reader), sleeps until that ends and returns false: the reader then polls again.
    /// The flag is raised before the second try and taken down by the holder after its exit, both
    /// with full fences, so either the try succeeds or the holder sets the event. Spinning for the
    /// lock instead would hold a core that the clients' side of the same round trip needs on a small
    /// machine.
    /// </summary>
    private bool TryEnterAsReader()
    {
        if (_draining.TryEnter())
        {
            return true;
        }

        Interlocked.Exchange(ref _readerWaiting, 1);
        if (_draining.TryEnter())
        {
            Interlocked.Exchange(ref _readerWaiting, 0);
            return true;
        }

        // The timeout only bounds the wait should the holder be gone (a stop): the holder always sets the event.
        _drainEnded.WaitOne(100);
        return false;
    }

    /// <summary>
    /// Reads and dispatches packets until the device has none (or a batch's worth, so that the
    /// other reader gets a turn), then flushes the sinks that took them: a session's packets of
    /// one drain leave together (over DTLS in one system call). Only under <see cref="_draining"/>:
    /// one reader at a time keeps each session's packets in the order the kernel queued them.
    /// True when it stopped at the batch's end, so the device may hold more.
    /// </summary>
    private bool DrainLocked(ref byte[] buffer)
    {
        try
        {
            for (int i = 0; i < DrainBatch; i++)
            {
                int n = _tun.TryRead(buffer.AsSpan(OutboundPacket.Headroom, _mtu));
                if (n == 0)
                {
                    return false;
                }

                if (Dispatch(buffer, n))
                {
                    buffer = OutboundPacket.RentBuffer(_mtu);
                }
            }

            return true;
        }
        finally
        {
            for (int i = 0; i < _toFlushCount; i++)
            {
                _toFlush[i]!.Flush();
                _toFlush[i] = null;
            }

            _toFlushCount = 0;
        }
    }

    /// <summary>Hands one packet read from the device to its session; true when the session took the buffer.</summary>
    private bool Dispatch(byte[] buffer, int n)
    {
        var packet = buffer.AsSpan(OutboundPacket.Headroom, n);
        GatewaySession? session;
        if (IpPacket.TryReadIpv4(packet, out var header))
        {
            session = _routes.Find(header.Destination);
        }
        else if (IpPacket.TryReadIpv6(packet, out var header6))
        {
            // Also the TUN device's own router solicitations and the like: no session has those addresses.
            _routes6.TryGetValue(header6.Destination, out session);
        }
        else
        {
            _counters.CountDrop(DropReason.Malformed);
            return false;
        }

        if (session?.DataPath.Sink is not { } sink)
        {
            _counters.CountDrop(DropReason.NoSession);
            return false;
        }

        if (TrackTcpFlows)
        {
            TcpFlowsFor(session, packet)?.ToClient(packet);
        }

        // The sink owns the buffer from here on, sent or dropped.
        if (!sink.TrySend(new OutboundPacket(buffer, n)))
        {
            _counters.CountDrop(DropReason.QueueFull);
        }

        if (!IsToBeFlushed(sink))
        {
            _toFlush[_toFlushCount++] = sink;
        }

        return true;
    }

    // By reference, without Array.IndexOf's comparer (a generic lookup and an interface call per packet).
    private bool IsToBeFlushed(IPacketSink sink)
    {
        for (int i = 0; i < _toFlushCount; i++)
        {
            if (ReferenceEquals(_toFlush[i], sink))
            {
                return true;
            }
        }

        return false;
    }
}
