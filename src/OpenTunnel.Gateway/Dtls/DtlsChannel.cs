using System.Buffers;
using System.Net;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Net;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// One client's DTLS association on the shared UDP socket: first a handshake (datagrams queued
/// for BouncyCastle), then an established channel whose records are opened and sealed by
/// <see cref="DtlsRecordProtection"/>. Receiving is serialised by one lock (the receive loop,
/// plus the handshake thread while it hands over), sending by another; a channel never blocks
/// another channel.
/// </summary>
internal sealed class DtlsChannel : IDtlsChannel
{
    // Room for one record of a full-size packet; anything larger (rare) rents a buffer.
    private const int SendBufferLength = 2048;
    private const int PlaintextOffset = DtlsRecord.HeaderLength + DtlsRecordProtection.ExplicitNonceLength;

    private readonly DtlsListener _listener;
    private readonly Lock _receiveLock = new();
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuffer = new byte[SendBufferLength];

    // The DATA records sealed since the last send (under _sendLock): _runCount records of
    // _runSegment bytes, the last one possibly shorter; the buffer is rented only while it holds some.
    private byte[] _run = [];
    private int _runLength;
    private int _runCount;
    private int _runSegment;
    private DtlsHandshakeTransport? _handshake;
    private DtlsRecordProtection? _protection;
    private volatile SocketAddress _address;
    private volatile IPEndPoint _endPoint;
    private volatile bool _open = true;
    private volatile bool _established;
    private long _lastReceivedTicks;
    private TransportTraffic _trafficAtStart;

    public DtlsChannel(DtlsListener listener, IDtlsSession session, SocketAddress address, DtlsHandshakeTransport handshake)
    {
        _listener = listener;
        Session = session;
        SessionId = session.DtlsSessionId;
        CipherSuite = session.DtlsCipherSuite;
        _address = address;
        _endPoint = DtlsListener.ToEndPoint(address);
        _handshake = handshake;
        _lastReceivedTicks = Environment.TickCount64;
    }

    /// <summary>What <see cref="DtlsChannel.Receive"/> did with a datagram.</summary>
    public enum ReceiveOutcome
    {
        /// <summary>Consumed (processed, queued for the handshake, or dropped and counted).</summary>
        Handled,

        /// <summary>A new ClientHello from this address: the listener starts a new handshake.</summary>
        NewHandshake,

        /// <summary>The channel is closed; the listener treats the datagram as from an unknown address.</summary>
        Closed,
    }

    public IDtlsSession Session { get; }

    public DtlsSessionId SessionId { get; }

    public DtlsCipherSuite CipherSuite { get; }

    public SocketAddress Address => _address;

    public EndPoint RemoteEndPoint => _endPoint;

    public bool IsOpen => _open && _established;

    public long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);

    /// <summary>
    /// Seals <paramref name="ipPacket"/> as a DATA record into the channel's run of records,
    /// which <see cref="FlushData"/> sends in one system call (<see cref="UdpSegmentSender"/>).
    /// A record that cannot join the run (the run is full, or the record is longer than the run's
    /// records, or follows a shorter one) sends the run first.
    /// </summary>
    public bool TrySendData(ReadOnlySpan<byte> ipPacket)
    {
        int recordLength = ipPacket.Length + 1 + DtlsRecordProtection.Overhead;
        lock (_sendLock)
        {
            if (!_open || _protection is null)
            {
                return false;
            }

            if (_runCount > 0 && !UdpSegmentSender.CanJoin(_runCount, _runLength, _runSegment, recordLength))
            {
                SendRun();
            }

            if (_run.Length == 0)
            {
                _run = ArrayPool<byte>.Shared.Rent(UdpSegmentSender.MaxBytes);
            }

            if (_runCount == 0)
            {
                _runSegment = recordLength;
            }

            _runLength += Seal(CstpPacketType.Data, ipPacket, _run.AsSpan(_runLength));
            _runCount++;
            return true;
        }
    }

    /// <summary>Sends the DATA records <see cref="TrySendData"/> collected, if any.</summary>
    public void FlushData()
    {
        lock (_sendLock)
        {
            SendRun();
        }
    }

    public bool TrySend(CstpPacketType type, ReadOnlySpan<byte> payload)
    {
        lock (_sendLock)
        {
            if (!_open || _protection is null)
            {
                return false;
            }

            // Records leave in the order they were sealed: collected data first.
            SendRun();
            int recordLength = payload.Length + 1 + DtlsRecordProtection.Overhead;
            byte[]? rented = recordLength > _sendBuffer.Length ? ArrayPool<byte>.Shared.Rent(recordLength) : null;
            byte[] buffer = rented ?? _sendBuffer;
            try
            {
                return SendOne(buffer.AsSpan(0, Seal(type, payload, buffer)));
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
    }

    // Under _sendLock: lays the plaintext out where the ciphertext goes and encrypts it in place (one copy of the packet).
    private int Seal(CstpPacketType type, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var plaintext = destination.Slice(PlaintextOffset, payload.Length + 1);
        plaintext[0] = (byte)type;
        payload.CopyTo(plaintext[1..]);
        return _protection!.Seal(DtlsRecord.ApplicationData, plaintext, destination);
    }

    // Under _sendLock: sends the collected run, in one call where the kernel segments UDP, and gives its buffer back.
    private void SendRun()
    {
        if (_runCount == 0)
        {
            return;
        }

        var run = _run.AsSpan(0, _runLength);
        if (_runCount == 1 || !_listener.TrySendSegmented(run, _runSegment, _address, _endPoint))
        {
            for (int offset = 0; offset < run.Length; offset += _runSegment)
            {
                SendOne(run.Slice(offset, Math.Min(_runSegment, run.Length - offset)));
            }
        }

        _runCount = 0;
        _runLength = 0;
        ArrayPool<byte>.Shared.Return(_run);
        _run = [];
    }

    // Under _sendLock: the channel closes; what it collected is not sent.
    private void DropRun()
    {
        if (_run.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_run);
            _run = [];
        }

        _runCount = 0;
        _runLength = 0;
    }

    // Under _sendLock.
    private bool SendOne(ReadOnlySpan<byte> record)
    {
        try
        {
            if (UdpSegmentSender.TrySendOne(_listener.Socket, record, _address, out int errno))
            {
                return true;
            }

            DtlsLog.SendFailed(_listener.Logger, _endPoint, UdpSegmentSender.DescribeError(errno));
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Close() => Close(DtlsCloseReason.ClosedBySession, notify: false);

    /// <summary>Handles a datagram from this channel's address, on the receive loop.</summary>
    public ReceiveOutcome Receive(ReadOnlySpan<byte> datagram, Span<byte> plaintext)
    {
        lock (_receiveLock)
        {
            if (!_open)
            {
                return ReceiveOutcome.Closed;
            }

            if (_protection is null)
            {
                if (!_handshake!.TryEnqueue(datagram))
                {
                    _listener.Counters.CountDrop(DtlsDropReason.HandshakeQueueFull);
                }

                return ReceiveOutcome.Handled;
            }

            if (datagram.Length > 0 && datagram[0] == DtlsRecord.Handshake &&
                DtlsRecord.TryReadHeader(datagram, out _, out ushort epoch, out _, out _) && epoch == 0)
            {
                return ReceiveOutcome.NewHandshake;
            }

            ProcessRecords(datagram, plaintext);
            return ReceiveOutcome.Handled;
        }
    }

    /// <summary>A cheap pre-check for re-matching a datagram from an unknown address to this channel.</summary>
    public bool CouldBeNext(ushort epoch, ulong sequence) =>
        IsOpen && Volatile.Read(ref _protection) is { } protection && protection.CouldBeNext(epoch, sequence);

    /// <summary>
    /// Tries <paramref name="datagram"/> from an unknown address against this channel's keys;
    /// when its first record authenticates, the client has moved (NAT rebinding): the channel
    /// takes the new address and the datagram is processed.
    /// </summary>
    public bool TryRebind(ReadOnlySpan<byte> datagram, Span<byte> plaintext, SocketAddress from)
    {
        lock (_receiveLock)
        {
            if (!TryOpenFirst(datagram, plaintext, out byte type, out int plaintextLength, out int firstLength))
            {
                return false;
            }

            var oldEndPoint = _endPoint;
            var address = DtlsListener.Copy(from);
            _listener.MoveChannel(this, address);
            lock (_sendLock)
            {
                _address = address;
                _endPoint = DtlsListener.ToEndPoint(address);
            }

            _listener.Counters.CountRebind();
            DtlsLog.Rebound(_listener.Logger, Session.DisplayName, oldEndPoint, _endPoint);
            ProcessOpened(type, plaintextLength, datagram[firstLength..], plaintext);
            return true;
        }
    }

    /// <summary>
    /// Processes <paramref name="datagram"/> when its first record authenticates under this
    /// channel's keys; otherwise leaves it, uncounted, for a handshake under way from the same
    /// address (a sealed alert or Finished is either this channel's or the new handshake's).
    /// </summary>
    public bool TryReceiveSealed(ReadOnlySpan<byte> datagram, Span<byte> plaintext)
    {
        lock (_receiveLock)
        {
            if (!TryOpenFirst(datagram, plaintext, out byte type, out int plaintextLength, out int firstLength))
            {
                return false;
            }

            ProcessOpened(type, plaintextLength, datagram[firstLength..], plaintext);
            return true;
        }
    }

    // Caller holds the receive lock.
    private bool TryOpenFirst(ReadOnlySpan<byte> datagram, Span<byte> plaintext, out byte type, out int plaintextLength, out int firstLength)
    {
        type = 0;
        plaintextLength = 0;
        firstLength = 0;
        if (!IsOpen || !DtlsRecord.TryReadHeader(datagram, out _, out _, out _, out int length))
        {
            return false;
        }

        firstLength = DtlsRecord.HeaderLength + length;
        return _protection!.Open(datagram[..firstLength], plaintext, out type, out plaintextLength) == DtlsOpenResult.Ok;
    }

    // Caller holds the receive lock: handles the opened first record (its plaintext at the start of
    // plaintext), then the datagram's other records.
    private void ProcessOpened(byte type, int plaintextLength, ReadOnlySpan<byte> rest, Span<byte> plaintext)
    {
        Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
        HandleRecord(type, plaintext[..plaintextLength]);
        ProcessRecords(rest, plaintext);
    }

    /// <summary>
    /// Switches from the handshake to the established record layer, tells the session, and
    /// processes datagrams that arrived for this client while the handshake was finishing.
    /// Returns false when the channel was closed meanwhile.
    /// </summary>
    public bool Establish(DtlsRecordProtection protection)
    {
        lock (_receiveLock)
        {
            if (!_open)
            {
                protection.Dispose();
                return false;
            }

            lock (_sendLock)
            {
                _protection = protection;
                _established = true;
            }

            var handshake = _handshake!;
            _handshake = null;
            _trafficAtStart = Session.Traffic.Over(Transport.Dtls);
            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
            try
            {
                Session.OnDtlsEstablished(this);
            }
            catch (Exception e)
            {
                DtlsLog.SessionCallbackFailed(_listener.Logger, e);
            }

            byte[]? plaintext = null;
            while (_open && handshake.TryDequeueLeftover(out byte[] datagram))
            {
                plaintext ??= new byte[ushort.MaxValue];
                ProcessRecords(datagram, plaintext);
            }

            return true;
        }
    }

    /// <summary>
    /// Closes the channel: no more sends, its keys are disposed, the listener forgets it, and
    /// (when <paramref name="notify"/>) the session hears that DTLS is gone. Idempotent.
    /// </summary>
    public void Close(DtlsCloseReason reason, bool notify)
    {
        bool wasEstablished;
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                if (!_open)
                {
                    return;
                }

                _open = false;
                wasEstablished = _established;
                DropRun();
                _protection?.Dispose();
                _handshake?.Close();
            }
        }

        _listener.Forget(this);
        if (!wasEstablished)
        {
            return;
        }

        long silentSeconds = (Environment.TickCount64 - LastReceivedTicks) / 1000;
        var traffic = Session.Traffic.Over(Transport.Dtls).Since(_trafficAtStart);
        DtlsLog.Closed(_listener.Logger, Session.DisplayName, _endPoint, reason, traffic.PacketsFromClient, traffic.BytesFromClient, traffic.PacketsToClient, traffic.BytesToClient, silentSeconds);
        if (notify)
        {
            try
            {
                Session.OnDtlsClosed(this, reason);
            }
            catch (Exception e)
            {
                DtlsLog.SessionCallbackFailed(_listener.Logger, e);
            }
        }
    }

    private static DtlsDropReason ToDropReason(DtlsOpenResult result) => result switch
    {
        DtlsOpenResult.WrongEpoch => DtlsDropReason.WrongEpoch,
        DtlsOpenResult.Replayed => DtlsDropReason.Replayed,
        DtlsOpenResult.AuthenticationFailed => DtlsDropReason.AuthenticationFailed,
        _ => DtlsDropReason.Malformed,
    };

    // Caller holds the receive lock. A datagram may carry several records (RFC 6347 §4.1.1).
    private void ProcessRecords(ReadOnlySpan<byte> datagram, Span<byte> plaintext)
    {
        while (!datagram.IsEmpty && _open)
        {
            if (!DtlsRecord.TryReadHeader(datagram, out _, out _, out _, out int length))
            {
                _listener.Counters.CountDrop(DtlsDropReason.Malformed);
                return;
            }

            var record = datagram[..(DtlsRecord.HeaderLength + length)];
            datagram = datagram[record.Length..];
            var result = _protection!.Open(record, plaintext, out byte type, out int plaintextLength);
            if (result != DtlsOpenResult.Ok)
            {
                _listener.Counters.CountDrop(ToDropReason(result));
                continue;
            }

            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
            HandleRecord(type, plaintext[..plaintextLength]);
        }
    }

    private void HandleRecord(byte type, Span<byte> plaintext)
    {
        switch (type)
        {
            case DtlsRecord.ApplicationData when !plaintext.IsEmpty:
                HandleCstp(plaintext);
                break;
            case DtlsRecord.Alert:
                // close_notify or a fatal alert: the client is leaving DTLS; its data now goes over TLS.
                Close(DtlsCloseReason.AlertReceived, notify: true);
                break;
            default:
                // A retransmitted Finished, or an empty record: authentic, but nothing to do.
                _listener.Counters.CountDrop(DtlsDropReason.Unexpected);
                break;
        }
    }

    private void HandleCstp(Span<byte> packet)
    {
        var payload = packet[1..];
        try
        {
            switch ((CstpPacketType)packet[0])
            {
                case CstpPacketType.Data:
                    Session.OnDtlsPacket(payload);
                    break;
                case CstpPacketType.DpdRequest:
                    // Echo the whole payload: openconnect probes the MTU with padded DPDs (dtls.c) and
                    // shrinks it when an answer is missing or shorter (ocserv worker-vpn.c does the same).
                    TrySend(CstpPacketType.DpdResponse, payload);
                    break;
                case CstpPacketType.DpdResponse:
                case CstpPacketType.Keepalive:
                    break;
                case CstpPacketType.Disconnect:
                    Session.OnDtlsDisconnect(payload);
                    break;
                default:
                    _listener.Counters.CountDrop(DtlsDropReason.Unexpected);
                    break;
            }
        }
        catch (Exception e)
        {
            DtlsLog.SessionCallbackFailed(_listener.Logger, e);
        }
    }
}
