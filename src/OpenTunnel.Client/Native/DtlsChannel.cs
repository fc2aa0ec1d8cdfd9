using System.Net;
using System.Net.Sockets;
using OpenTunnel.Platform.Linux.Crypto;
using OpenTunnel.Platform.Linux.Net;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Client.Native;

/// <summary>
/// The client's DTLS data channel beside the TLS one, as openconnect 9.01 runs it (dtls.c,
/// gnutls-dtls.c): a DTLS 1.2 handshake, either resuming the session of the CONNECT answer
/// (master-secret mode, <see cref="DtlsResumingClient"/>) or keyed by the PSK exported from the TLS
/// connection (PSK-NEGOTIATE, <see cref="DtlsPskClient"/>), then records sealed and opened with
/// .NET's <see cref="DtlsRecordProtection"/>. Packets move to DTLS
/// only when the gateway answered a DPD over it (so a handshake whose last flight was lost never
/// swallows traffic); they move back to TLS when nothing came over DTLS for twice
/// <c>X-DTLS-DPD</c>, and a new handshake is tried every <see cref="RetryInterval"/>, as
/// openconnect's <c>dtls_attempt_period</c>. Until then, and whenever DTLS is down,
/// <see cref="TrySendPacket"/> says no and the caller sends over TLS: UDP that never works costs
/// nothing. <see cref="Run"/> is the channel's one thread: handshakes, receiving and timers.
/// </summary>
public sealed class DtlsChannel : IDisposable
{
    // A record's plaintext (CSTP type byte, then the packet) sits where its ciphertext goes, after the header and the explicit nonce: sealed in place.
    private const int PacketOffset = DtlsRecord.HeaderLength + DtlsRecordProtection.ExplicitNonceLength + 1;

    /// <summary>A handshake, or the first DPD answer after it, takes at most this long (openconnect gives up after about 12 s).</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(12);

    /// <summary>The wait before DTLS is tried again after a failure (openconnect's default <c>dtls_attempt_period</c>).</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(60);

    private const int DatagramLength = ushort.MaxValue;

    /// <summary>Datagrams one receive call takes at most (recvmmsg).</summary>
    private const int ReceiveBatch = 32;

    /// <summary>
    /// The UDP socket's kernel buffers: a download arrives in bursts of records (the gateway sends
    /// runs of up to 64 KB at once), which Linux's default of 208 KiB dropped by the hundred
    /// thousand in a 5 s transfer while this thread was decrypting.
    /// </summary>
    private const int SocketBufferBytes = 4 * 1024 * 1024;

    private readonly IPEndPoint _gateway;
    private readonly DtlsConnectAnswer _answer;
    private readonly byte[] _key;
    private readonly TextWriter _progress;
    private readonly TimeProvider _time;
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuffer = new byte[PacketOffset + DatagramLength + DtlsRecordProtection.TagLength];
    private readonly byte[] _plaintext = new byte[DatagramLength];

    // The run of sealed DATA records that FlushPackets sends in one call: its bytes, records and record size.
    private readonly byte[] _run = new byte[UdpSegmentSender.MaxBytes];
    private readonly SocketAddress _gatewayAddress;
    private int _runLength;
    private int _runCount;
    private int _runSegment;
    private bool _segmentationUnavailable;
    private bool _sendFailing;

    // Under _sendLock: the receive loop runs and owns the closing of the socket.
    private bool _receiving;
    private Socket? _socket;
    private DtlsRecordProtection? _protection;
    private LinkTimers? _timers;
    private string? _suiteName;
    private volatile bool _carrying;
    private volatile bool _disposed;
    private long _bytesIn;
    private long _bytesOut;
    private long _dropped;

    /// <param name="gateway">The gateway's address (the one TLS reached) with the port of X-DTLS-Port.</param>
    /// <param name="answer">The DTLS part of the CONNECT answer.</param>
    /// <param name="key">In master-secret mode the 48 bytes sent as X-DTLS-Master-Secret; in PSK mode the <see cref="DtlsPskClient.KeyLength"/> bytes exported from the TLS connection.</param>
    /// <param name="progress">Where the moves between DTLS and TLS are told (written from the channel's thread).</param>
    /// <param name="time">The clock of the timers.</param>
    public DtlsChannel(IPEndPoint gateway, DtlsConnectAnswer answer, byte[] key, TextWriter progress, TimeProvider time)
    {
        _gateway = gateway;
        _gatewayAddress = gateway.Serialize();
        _answer = answer;
        _key = key;
        _progress = progress;
        _time = time;
    }

    /// <summary>True while the tunnel's packets go over DTLS.</summary>
    public bool IsCarrying => _carrying;

    /// <summary>When DTLS last took over the packets (null: never).</summary>
    public DateTimeOffset? CarryingSince { get; private set; }

    /// <summary>IP bytes received over DTLS.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>IP bytes sent over DTLS.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Records dropped: not authentic, replayed, or of another epoch.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private TimeSpan Now => _time.GetElapsedTime(0);

    /// <summary>
    /// Seals one IP packet as one DTLS record into the channel's run of records (copied once and
    /// sealed there in place; nothing is allocated), which <see cref="FlushPackets"/> sends in one
    /// system call with UDP segmentation offload (<see cref="UdpSegmentSender"/>, as the gateway
    /// sends); a record that cannot join the run (the run is full, or the record is longer than
    /// the run's records, or follows a shorter one) sends the run first. False when DTLS does not
    /// carry packets now, or when the last send failed (a firewall dropping UDP on output makes it
    /// fail) and this packet, sent on its own, failed too: send it over TLS then. The packets of a
    /// run whose send failed are lost, as a datagram lost on the way would be.
    /// </summary>
    public bool TrySendPacket(ReadOnlySpan<byte> packet)
    {
        if (!_carrying)
        {
            return false;
        }

        lock (_sendLock)
        {
            if (!AddToRun(packet))
            {
                return false;
            }
        }

        Interlocked.Add(ref _bytesOut, packet.Length);
        return true;
    }

    /// <summary>Sends the records <see cref="TrySendPacket"/> collected, if any: the caller calls it when it has no more packets at hand.</summary>
    public void FlushPackets()
    {
        lock (_sendLock)
        {
            SendRun();
        }
    }

    /// <summary>
    /// The channel's thread until <paramref name="stop"/>: handshake, receive (each DATA payload
    /// goes to <paramref name="deliver"/>; datagrams are taken in batches with recvmmsg, and
    /// <paramref name="batchDone"/> runs after the packets of each batch), timers; after a
    /// failure, the wait and the next attempt.
    /// </summary>
    public void Run(DeliverPacket deliver, Action batchDone, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        ArgumentNullException.ThrowIfNull(batchDone);
        while (!stop.IsCancellationRequested && !_disposed)
        {
            string why;
            try
            {
                why = RunOnce(deliver, batchDone, stop);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // DTLS is an optimisation of a tunnel that TLS carries anyway: whatever broke here must not end the tunnel.
                why = $"DTLS failed unexpectedly ({e.GetType().Name}: {e.Message})";
            }

            bool wasCarrying = _carrying;
            CloseSocket();
            if (stop.IsCancellationRequested || _disposed)
            {
                return;
            }

            _progress.WriteLine($"{why}: the tunnel's packets go over TLS{(wasCarrying ? " again" : string.Empty)}; DTLS is tried again in {RetryInterval.TotalSeconds:0} s.");
            stop.WaitHandle.WaitOne(RetryInterval);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        CloseSocket();
    }

    private string RunOnce(DeliverPacket deliver, Action batchDone, CancellationToken stop)
    {
        Socket socket;
        DtlsChannelClient client = _answer.AppId is { } appId
            ? new DtlsPskClient(appId, _key, HandshakeTimeout)
            : new DtlsResumingClient(_answer.SessionId!.Value, _key, _answer.Suite!, HandshakeTimeout);
        try
        {
            socket = new Socket(_gateway.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            // Without CAP_NET_ADMIN it gets what net.core.rmem_max and wmem_max allow, and works with that.
            _ = UdpSocketBuffers.TrySet(socket, SocketBufferBytes);
            lock (_sendLock)
            {
                _socket = socket;
            }

            socket.Connect(_gateway);
            new DtlsClientProtocol().Connect(client, new HandshakeTransport(socket));
        }
        catch (TlsTimeoutException)
        {
            return $"No DTLS answer from {_gateway} within {HandshakeTimeout.TotalSeconds:0} s (UDP blocked?)";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // An alert says why the peers disagreed; for a socket error BouncyCastle raises internal_error, which says less than the error itself.
            string why = e is TlsException && client.LastAlert is { } alert ? alert : e.Message;
            return $"The DTLS handshake with {_gateway} failed ({why})";
        }

        var timers = new LinkTimers(TimeSpan.FromSeconds(_answer.DpdSeconds), TimeSpan.FromSeconds(_answer.KeepaliveSeconds), Now);
        lock (_sendLock)
        {
            _protection = DtlsRecordProtection.ForClient(client.KeyBlock!, client.Suite!.KeyLength, DtlsRecordProtection.EstablishedEpoch, DtlsRecordProtection.FirstSequenceAfterHandshake, OpenSslAesGcm.Factory);
            _suiteName = client.Suite.Name;
            _timers = timers;
        }

        // The gateway's answer proves it holds the channel too; only then do packets move (see the class comment).
        SendControl(CstpPacketType.DpdRequest, []);
        TimeSpan answerBy = Now + HandshakeTimeout;
        UdpBatchReceiver receiver;
        lock (_sendLock)
        {
            if (_disposed || _socket != socket)
            {
                return "DTLS closed";
            }

            receiver = new UdpBatchReceiver(socket, ReceiveBatch, DatagramLength, coalesce: true);
            _receiving = true;
        }

        try
        {
            while (!stop.IsCancellationRequested && !_disposed)
            {
                TimeSpan wait = timers.Wait(Now);
                if (!_carrying && answerBy - Now < wait)
                {
                    wait = answerBy - Now < TimeSpan.Zero ? TimeSpan.Zero : answerBy - Now;
                }

                int count = receiver.Receive((int)Math.Ceiling(Math.Max(0, wait.TotalMilliseconds)));
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (receiver.IsTruncated(i))
                        {
                            Interlocked.Increment(ref _dropped);
                        }
                        else if (!ProcessRecords(receiver.Datagram(i), timers, deliver))
                        {
                            return "The gateway closed DTLS (alert)";
                        }
                    }
                }
                finally
                {
                    if (count > 0)
                    {
                        batchDone();
                    }
                }

                if (!_carrying && Now >= answerBy)
                {
                    return $"The gateway did not answer over DTLS after the handshake within {HandshakeTimeout.TotalSeconds:0} s";
                }

                switch (timers.Next(Now))
                {
                    case LinkAction.PeerDead:
                        return $"Nothing came over DTLS for {(2 * timers.Dpd).TotalSeconds:0} s";
                    case LinkAction.SendDpd:
                        SendControl(CstpPacketType.DpdRequest, []);
                        break;
                    case LinkAction.SendKeepalive:
                        SendControl(CstpPacketType.Keepalive, []);
                        break;
                }
            }
        }
        catch (SocketException e)
        {
            return $"UDP to {_gateway} failed ({e.SocketErrorCode})";
        }
        catch (ObjectDisposedException)
        {
            return "DTLS closed";
        }
        finally
        {
            // The receiver holds a reference to the socket, so the loop closes the socket itself (see CloseSocket).
            lock (_sendLock)
            {
                _receiving = false;
            }

            receiver.Dispose();
            socket.Dispose();
        }

        return "DTLS stopped";
    }

    /// <summary>Opens every record of a datagram (RFC 6347 §4.1.1 allows several). False when the gateway sent an alert.</summary>
    private bool ProcessRecords(ReadOnlySpan<byte> datagram, LinkTimers timers, DeliverPacket deliver)
    {
        var protection = _protection!;
        while (!datagram.IsEmpty)
        {
            if (!DtlsRecord.TryReadHeader(datagram, out _, out _, out _, out int length))
            {
                Interlocked.Increment(ref _dropped);
                return true;
            }

            var record = datagram[..(DtlsRecord.HeaderLength + length)];
            datagram = datagram[record.Length..];
            if (protection.Open(record, _plaintext, out byte type, out int plaintextLength) != DtlsOpenResult.Ok)
            {
                // A retransmitted handshake flight (epoch 0), a replay, a forgery: never proof of life.
                Interlocked.Increment(ref _dropped);
                continue;
            }

            timers.Received(Now);
            if (type == DtlsRecord.Alert)
            {
                return false;
            }

            if (type == DtlsRecord.ApplicationData && plaintextLength > 0)
            {
                HandleCstp(_plaintext.AsSpan(0, plaintextLength), deliver);
            }
        }

        return true;
    }

    private void HandleCstp(ReadOnlySpan<byte> packet, DeliverPacket deliver)
    {
        var payload = packet[1..];
        switch ((CstpPacketType)packet[0])
        {
            case CstpPacketType.Data:
                Interlocked.Add(ref _bytesIn, payload.Length);
                deliver(payload);
                break;
            case CstpPacketType.DpdRequest:
                SendControl(CstpPacketType.DpdResponse, payload);
                break;
            case CstpPacketType.DpdResponse when !_carrying:
                CarryingSince = _time.GetUtcNow();
                _carrying = true;
                _progress.WriteLine($"DTLS is up ({_suiteName}, UDP to {_gateway}): the tunnel's packets go over DTLS.");
                break;
            default:
                // KEEPALIVE and later DPD answers: proof of life only (counted by the timers).
                break;
        }
    }

    private void SendControl(CstpPacketType type, ReadOnlySpan<byte> payload)
    {
        lock (_sendLock)
        {
            // Records leave in the order they were sealed: collected packets first.
            SendRun();
            TrySendRecord(type, payload);
        }
    }

    // Caller holds the send lock.
    private bool AddToRun(ReadOnlySpan<byte> packet)
    {
        int recordLength = packet.Length + 1 + DtlsRecordProtection.Overhead;
        if (_protection is null || _socket is null)
        {
            return false;
        }

        if (_sendFailing || recordLength > UdpSegmentSender.MaxBytes)
        {
            // After a failed send, one record on its own tells whether UDP works again.
            SendRun();
            _sendFailing = !TrySendRecord(CstpPacketType.Data, packet);
            return !_sendFailing;
        }

        if (!UdpSegmentSender.CanJoin(_runCount, _runLength, _runSegment, recordLength))
        {
            SendRun();
        }

        if (_runCount == 0)
        {
            _runSegment = recordLength;
        }

        var record = _run.AsSpan(_runLength);
        record[PacketOffset - 1] = (byte)CstpPacketType.Data;
        packet.CopyTo(record[PacketOffset..]);
        _runLength += _protection.Seal(DtlsRecord.ApplicationData, record.Slice(PacketOffset - 1, packet.Length + 1), record);
        _runCount++;
        return true;
    }

    // Caller holds the send lock: sends the run, in one call where the kernel segments UDP, else record by record.
    private void SendRun()
    {
        if (_runCount == 0 || _socket is null)
        {
            _runCount = 0;
            _runLength = 0;
            return;
        }

        var run = _run.AsSpan(0, _runLength);
        bool sent = false;
        if (_runCount > 1 && !_segmentationUnavailable)
        {
            if (UdpSegmentSender.TrySend(_socket, run, _runSegment, _gatewayAddress, out int errno))
            {
                sent = true;
            }
            else if (UdpSegmentSender.IsUnsupported(errno))
            {
                _segmentationUnavailable = true;
            }
            else
            {
                sent = true;
                _sendFailing = true;
            }
        }

        if (!sent)
        {
            for (int offset = 0; offset < run.Length; offset += _runSegment)
            {
                if (!TrySendDatagram(run.Slice(offset, Math.Min(_runSegment, run.Length - offset))))
                {
                    _sendFailing = true;
                    break;
                }
            }
        }

        _runCount = 0;
        _runLength = 0;
        _timers?.Sent(Now);
    }

    // Caller holds the send lock.
    private bool TrySendRecord(CstpPacketType type, ReadOnlySpan<byte> payload)
    {
        if (_protection is null || _socket is null || payload.Length + 1 > ushort.MaxValue - DtlsRecordProtection.Overhead)
        {
            return false;
        }

        _sendBuffer[PacketOffset - 1] = (byte)type;
        payload.CopyTo(_sendBuffer.AsSpan(PacketOffset));
        int recordLength = _protection.Seal(DtlsRecord.ApplicationData, _sendBuffer.AsSpan(PacketOffset - 1, payload.Length + 1), _sendBuffer);
        if (!TrySendDatagram(_sendBuffer.AsSpan(0, recordLength)))
        {
            return false;
        }

        _timers?.Sent(Now);
        return true;
    }

    // Caller holds the send lock.
    private bool TrySendDatagram(ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket!.Send(datagram);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void CloseSocket()
    {
        Socket? socket;
        lock (_sendLock)
        {
            _carrying = false;
            _runCount = 0;
            _runLength = 0;
            _sendFailing = false;
            // While the receive loop runs, its batch receiver holds a reference to the socket: a
            // Dispose here would wait for the loop, and the loop, woken by the shutdown, would spin.
            // The loop sees _disposed (or the stop) within a second and closes the socket itself.
            socket = _receiving ? null : _socket;
            _socket = null;
            _protection?.Dispose();
            _protection = null;
            _timers = null;
        }

        // Outside the lock: a handshake blocked on the socket ends now.
        socket?.Dispose();
    }

    /// <summary>The <see cref="DatagramTransport"/> BouncyCastle's handshake runs over: the channel's connected UDP socket.</summary>
    private sealed class HandshakeTransport(Socket socket) : DatagramTransport
    {
        public int GetReceiveLimit() => DatagramLength;

        public int GetSendLimit() => 1200;

        public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            try
            {
                return socket.Poll(waitMillis == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(waitMillis), SelectMode.SelectRead) ? socket.Receive(buffer) : -1;
            }
            catch (SocketException e)
            {
                // An ICMP port unreachable arrives here as ConnectionRefused: nothing listens for DTLS.
                throw new IOException($"UDP: {e.Message}", e);
            }
        }

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer)
        {
            try
            {
                socket.Send(buffer);
            }
            catch (SocketException e)
            {
                throw new IOException($"UDP: {e.Message}", e);
            }
        }

        public void Close()
        {
            // The socket outlives the handshake: the record layer after it is the channel's own.
        }
    }
}

/// <summary>Receives one IP packet from the gateway (to write to the TUN device).</summary>
public delegate void DeliverPacket(ReadOnlySpan<byte> packet);
