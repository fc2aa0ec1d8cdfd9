using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Platform.Linux.Crypto;
using OpenTunnel.Platform.Linux.Net;
using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The gateway's UDP side: one socket on the TLS port that every client's DTLS arrives at.
/// A receive thread takes datagrams in batches (recvmmsg) and demultiplexes them: by the
/// client's address and port to an existing channel; a ClientHello to its CSTP session by the
/// session id it carries (after a stateless cookie exchange, RFC 6347 §4.2.1); a record from an
/// unknown address to a channel whose keys it authenticates under (NAT rebinding), within a
/// budget of trial decryptions. Everything else is dropped and counted, and never disturbs
/// another channel. Handshakes run on their own threads, a bounded number at once, because
/// BouncyCastle's DTLS API blocks.
/// </summary>
public sealed class DtlsListener : IDisposable
{
    // Messages taken per recvmmsg call, and the most bytes kept of one: a run of datagrams the
    // kernel coalesced (UDP_GRO) from a client that sends with segmentation offload, up to 64 KB.
    private const int ReceiveBatch = 32;
    private const int MaxMessage = ushort.MaxValue;

    // How often a waiting receive loop checks whether the listener is stopping.
    private const int StopCheckMillis = 250;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly DtlsOptions _options;
    private readonly TimeSpan _deadPeerTimeout;
    private readonly TimeSpan _handshakeTimeout;
    private readonly IDtlsSessionDirectory _directory;
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());
    private readonly DtlsVerifier _verifier;
    private readonly ConcurrentDictionary<SocketAddress, DtlsChannel> _byAddress = new();
    private readonly ConcurrentDictionary<SocketAddress, DtlsChannel> _handshakes = new();
    private readonly ConcurrentDictionary<DtlsSessionId, DtlsChannel> _bySession = new();
    private readonly Lock _tableLock = new();
    private Socket? _socket;
    private Thread? _receiveThread;
    private volatile bool _segmentationUnavailable;
    private Timer? _sweepTimer;
    private int _handshakesRunning;
    private int _rebindBudget;
    private volatile bool _stopping;

    /// <summary>Creates a listener; nothing is bound until <see cref="Start"/>.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="dpdSeconds">The DPD interval sent to clients (X-DTLS-DPD), which sets the default dead-peer time.</param>
    /// <param name="directory">Where ClientHellos find their sessions.</param>
    /// <param name="counters">The gateway's counters, where drops, handshakes, cookies and rebinds are counted.</param>
    /// <param name="logger">The DTLS log.</param>
    public DtlsListener(DtlsOptions options, int dpdSeconds, IDtlsSessionDirectory directory, PacketCounters counters, ILogger<DtlsListener> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(logger);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid DTLS settings: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _deadPeerTimeout = options.DeadPeerTimeout(dpdSeconds);
        _handshakeTimeout = TimeSpan.FromSeconds(options.HandshakeTimeoutSeconds);
        _directory = directory;
        Counters = counters;
        Logger = logger;
        _verifier = new DtlsVerifier(_crypto);
        _rebindBudget = options.RebindTrialsPerSecond;
    }

    /// <summary>The address and port the socket is bound to (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_socket ?? throw new InvalidOperationException("The DTLS listener has not started.")).LocalEndPoint!;

    /// <summary>Where drops, handshakes, cookies and rebinds are counted (the gateway's one counter set).</summary>
    public PacketCounters Counters { get; }

    /// <summary>Established channels now.</summary>
    public int ActiveChannels => _bySession.Count;

    /// <summary>Handshakes running now.</summary>
    public int HandshakesRunning => Volatile.Read(ref _handshakesRunning);

    internal ILogger Logger { get; }

    internal Socket Socket => _socket!;

    /// <summary>
    /// Sends a run of equal-size records to one client in one system call (UDP segmentation
    /// offload). False when this machine cannot segment UDP: the caller sends them one by one, and
    /// so does every later run (logged once). A send that fails otherwise is logged and the run
    /// is dropped, as a failed single send drops its record.
    /// </summary>
    internal bool TrySendSegmented(ReadOnlySpan<byte> run, int segmentSize, SocketAddress to, EndPoint client)
    {
        if (_segmentationUnavailable)
        {
            return false;
        }

        if (UdpSegmentSender.TrySend(Socket, run, segmentSize, to, out int errno))
        {
            return true;
        }

        if (UdpSegmentSender.IsUnsupported(errno))
        {
            _segmentationUnavailable = true;
            DtlsLog.SegmentationUnavailable(Logger, UdpSegmentSender.DescribeError(errno));
            return false;
        }

        DtlsLog.SendFailed(Logger, client, UdpSegmentSender.DescribeError(errno));
        return true;
    }

    /// <summary>
    /// Binds the UDP socket to <paramref name="endPoint"/> (IPv6Any means both IPv4 and IPv6)
    /// and starts receiving.
    /// </summary>
    /// <exception cref="SocketException">The address or port cannot be bound (the message names it).</exception>
    public void Start(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (_socket is not null)
        {
            throw new InvalidOperationException("The DTLS listener has already started.");
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            SetBuffers(socket);
            socket.Bind(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        DtlsLog.Listening(Logger, socket.LocalEndPoint!, socket.ReceiveBufferSize, socket.SendBufferSize);
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "dtls-receive" };
        _receiveThread.Start();
        _sweepTimer = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>Stops receiving, ends running handshakes and closes every channel (sessions hear <see cref="DtlsCloseReason.ListenerStopped"/>).</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _sweepTimer?.Dispose();
        _receiveThread?.Join();
        _socket?.Dispose();
        foreach (var pair in _handshakes)
        {
            pair.Value.Close(DtlsCloseReason.ListenerStopped, notify: true);
        }

        foreach (var pair in _byAddress)
        {
            pair.Value.Close(DtlsCloseReason.ListenerStopped, notify: true);
        }

        foreach (var pair in _bySession)
        {
            pair.Value.Close(DtlsCloseReason.ListenerStopped, notify: true);
        }
    }

    /// <summary>A copy of <paramref name="address"/> that can be kept (the receive loop reuses its own).</summary>
    internal static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    /// <summary>Moves an established channel to a new client address.</summary>
    internal void MoveChannel(DtlsChannel channel, SocketAddress address)
    {
        lock (_tableLock)
        {
            _byAddress.TryRemove(new KeyValuePair<SocketAddress, DtlsChannel>(channel.Address, channel));
            _byAddress[address] = channel;
        }
    }

    /// <summary>Removes a closed channel from every table (only where it is still the entry).</summary>
    internal void Forget(DtlsChannel channel)
    {
        lock (_tableLock)
        {
            _handshakes.TryRemove(new KeyValuePair<SocketAddress, DtlsChannel>(channel.Address, channel));
            _byAddress.TryRemove(new KeyValuePair<SocketAddress, DtlsChannel>(channel.Address, channel));
            _bySession.TryRemove(new KeyValuePair<DtlsSessionId, DtlsChannel>(channel.SessionId, channel));
        }
    }

    private void SetBuffers(Socket socket)
    {
        int requested = _options.SocketBufferBytes;
        if (!UdpSocketBuffers.TrySet(socket, requested))
        {
            DtlsLog.SmallSocketBuffers(Logger, socket.ReceiveBufferSize, socket.SendBufferSize, requested);
        }
    }

    private void ReceiveLoop()
    {
        var socket = _socket!;
        byte[] plaintext = new byte[ushort.MaxValue];
        var from = new SocketAddress(socket.AddressFamily);
        using var receiver = new UdpBatchReceiver(socket, ReceiveBatch, MaxMessage, coalesce: true);
        int device = _directory.AttachDeviceReader();
        try
        {
            ReceiveAndServe(receiver, device, from, plaintext);
        }
        finally
        {
            _directory.DetachDeviceReader();
        }
    }

    /// <summary>
    /// Takes datagrams in batches and hands them out; after each batch, whenever the device
    /// (<paramref name="device"/>, -1: none) was readable, and after each wait that timed out,
    /// serves the device: one thread carries both directions of a session.
    /// </summary>
    private void ReceiveAndServe(UdpBatchReceiver receiver, int device, SocketAddress from, byte[] plaintext)
    {
        int consecutiveErrors = 0;
        bool deviceHoldsMore = false;
        while (!_stopping)
        {
            int count;
            try
            {
                count = receiver.Receive(deviceHoldsMore ? 0 : StopCheckMillis, device, out _);
                consecutiveErrors = 0;
            }
            catch (SocketException e)
            {
                // Transient socket errors (an ICMP error queued on the socket) are skipped; a socket
                // that only fails is broken, and sessions carry on over TLS.
                if (++consecutiveErrors > 100)
                {
                    DtlsLog.ReceiveLoopFailed(Logger, e);
                    return;
                }

                continue;
            }

            for (int i = 0; i < count; i++)
            {
                if (receiver.IsTruncated(i))
                {
                    Counters.CountDrop(DtlsDropReason.Malformed);
                    continue;
                }

                receiver.CopySender(i, from);
                try
                {
                    Dispatch(receiver.Datagram(i), from, plaintext);
                }
                catch (Exception e)
                {
                    // A bug triggered by one datagram must not stop UDP for everyone.
                    Counters.CountDrop(DtlsDropReason.Malformed);
                    DtlsLog.DatagramFailed(Logger, e);
                }
            }

            // Whenever the device was readable, and after a wait that timed out too: a packet queued
            // while a TLS connection's thread had suspended its wake-ups, and not taken by that
            // thread, is not left there (TunDataPlane.DrainNow).
            if (device >= 0 || count > 0 || deviceHoldsMore)
            {
                var read = _directory.ServeDevice();
                deviceHoldsMore = read == DeviceRead.More;
                if (read == DeviceRead.Failed)
                {
                    device = -1;
                }
            }
        }
    }

    /// <summary>
    /// Routes one datagram. A handshake under way from an address gets that address's handshake
    /// records (and its ChangeCipherSpec and Finished), while application data from it keeps going
    /// to the channel already established there: a late duplicate ClientHello, or a client that
    /// handshakes again from the same port, never cuts off a working channel before a new one is up.
    /// Another sealed record (an alert) goes to the established channel when its keys open it.
    /// </summary>
    internal void Dispatch(ReadOnlySpan<byte> datagram, SocketAddress from, Span<byte> plaintext)
    {
        bool applicationData = datagram.Length > 0 && datagram[0] == DtlsRecord.ApplicationData;
        if (!applicationData && _handshakes.TryGetValue(from, out var handshake) &&
            ((IsSealed(datagram) && _byAddress.TryGetValue(from, out var established) && established.TryReceiveSealed(datagram, plaintext)) ||
             handshake.Receive(datagram, plaintext) == DtlsChannel.ReceiveOutcome.Handled))
        {
            return;
        }

        if (TryHandle(_byAddress, datagram, from, plaintext) || (applicationData && TryHandle(_handshakes, datagram, from, plaintext)))
        {
            return;
        }

        if (DtlsRecord.TryReadClientHelloSessionId(datagram, out var sessionId))
        {
            OnClientHello(sessionId, datagram, from);
        }
        else if (!TryRebind(datagram, from, plaintext))
        {
            Counters.CountDrop(DtlsDropReason.UnknownPeer);
        }
    }

    private static bool IsSealed(ReadOnlySpan<byte> datagram) =>
        DtlsRecord.TryReadHeader(datagram, out _, out ushort epoch, out _, out _) && epoch != 0;

    private static bool TryHandle(ConcurrentDictionary<SocketAddress, DtlsChannel> table, ReadOnlySpan<byte> datagram, SocketAddress from, Span<byte> plaintext) =>
        table.TryGetValue(from, out var channel) && channel.Receive(datagram, plaintext) == DtlsChannel.ReceiveOutcome.Handled;

    private void OnClientHello(DtlsSessionId sessionId, ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (!_directory.TryFind(sessionId, out var session) || session.DtlsSessionId != sessionId)
        {
            Counters.CountDrop(DtlsDropReason.UnknownSession);
            if (Logger.IsEnabled(LogLevel.Debug))
            {
                DtlsLog.UnknownSession(Logger, ToEndPoint(from));
            }

            return;
        }

        // The cookie exchange keeps no state: a spoofed source gets one small HelloVerifyRequest and nothing else.
        byte[] data = datagram.ToArray();
        byte[] clientId = from.Buffer.Span[..from.Size].ToArray();
        var request = _verifier.VerifyRequest(clientId, data, 0, data.Length, new HelloVerifySender(this, from));
        if (request is null)
        {
            return;
        }

        if (Interlocked.Increment(ref _handshakesRunning) > _options.MaxConcurrentHandshakes)
        {
            int running = Interlocked.Decrement(ref _handshakesRunning);
            Counters.CountDrop(DtlsDropReason.HandshakesBusy);
            if (Logger.IsEnabled(LogLevel.Debug))
            {
                DtlsLog.HandshakesBusy(Logger, ToEndPoint(from), running);
            }

            return;
        }

        var address = Copy(from);
        var transport = new DtlsHandshakeTransport(_socket!, address);
        var channel = new DtlsChannel(this, session, address, transport);
        lock (_tableLock)
        {
            _handshakes[address] = channel;
        }

        var thread = new Thread(() => RunHandshake(channel, transport, request)) { IsBackground = true, Name = "dtls-handshake" };
        thread.Start();
    }

    private void RunHandshake(DtlsChannel channel, DtlsHandshakeTransport transport, DtlsRequest request)
    {
        var session = channel.Session;
        long started = Stopwatch.GetTimestamp();
        var server = new DtlsResumptionServer(_crypto, session.DtlsSessionId, session.DtlsMasterSecret, session.DtlsCipherSuite, _handshakeTimeout);
        bool established = false;
        try
        {
            new DtlsServerProtocol().Accept(server, transport, request);
            var protection = DtlsRecordProtection.ForServer(server.KeyBlock!, channel.CipherSuite.KeyLength, DtlsRecordProtection.EstablishedEpoch, DtlsRecordProtection.FirstSequenceAfterHandshake, OpenSslAesGcm.Factory);
            established = channel.Establish(protection);
            if (established)
            {
                Register(channel);
                Counters.CountHandshake(DtlsHandshakeResult.Succeeded);
                DtlsLog.Established(Logger, session.DisplayName, channel.RemoteEndPoint, channel.CipherSuite.Name, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (TlsTimeoutException)
        {
            Counters.CountHandshake(DtlsHandshakeResult.TimedOut);
            DtlsLog.HandshakeTimedOut(Logger, session.DisplayName, channel.RemoteEndPoint, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (IOException e)
        {
            Counters.CountHandshake(DtlsHandshakeResult.Failed);
            DtlsLog.HandshakeFailed(Logger, session.DisplayName, channel.RemoteEndPoint, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, server.LastAlert ?? e.Message);
        }
        catch (Exception e)
        {
            Counters.CountHandshake(DtlsHandshakeResult.Failed);
            DtlsLog.HandshakeCrashed(Logger, channel.RemoteEndPoint, e);
        }
        finally
        {
            Interlocked.Decrement(ref _handshakesRunning);
            if (!established)
            {
                channel.Close(DtlsCloseReason.ClosedBySession, notify: false);
            }
        }
    }

    /// <summary>
    /// Makes an established channel its session's channel and its address's channel. A channel the
    /// session had before (the client handshook again, perhaps from a new port) is closed without a
    /// callback: the session already heard about the new one. Closing happens outside the table
    /// lock, since closing takes the channel's locks and a receiving channel takes the table lock
    /// inside its own.
    /// </summary>
    internal void Register(DtlsChannel channel)
    {
        DtlsChannel? previous = null;
        lock (_tableLock)
        {
            // A channel that closed meanwhile (an alert among its first records) was already forgotten.
            if (!channel.IsOpen)
            {
                return;
            }

            if (_bySession.TryGetValue(channel.SessionId, out var current) && current != channel)
            {
                previous = current;
            }

            _bySession[channel.SessionId] = channel;
            _handshakes.TryRemove(new KeyValuePair<SocketAddress, DtlsChannel>(channel.Address, channel));
            _byAddress[channel.Address] = channel;
        }

        previous?.Close(DtlsCloseReason.Replaced, notify: false);
    }

    private bool TryRebind(ReadOnlySpan<byte> datagram, SocketAddress from, Span<byte> plaintext)
    {
        if (_options.RebindTrialsPerSecond == 0 ||
            !DtlsRecord.TryReadHeader(datagram, out byte type, out ushort epoch, out ulong sequence, out _) ||
            type != DtlsRecord.ApplicationData || epoch == 0)
        {
            return false;
        }

        foreach (var pair in _bySession)
        {
            var channel = pair.Value;
            if (!channel.CouldBeNext(epoch, sequence))
            {
                continue;
            }

            // Each trial costs a decryption: the budget bounds what a flood of forged records can burn.
            if (Interlocked.Decrement(ref _rebindBudget) < 0)
            {
                return false;
            }

            if (channel.TryRebind(datagram, plaintext, from))
            {
                return true;
            }
        }

        return false;
    }

    private void Sweep()
    {
        Volatile.Write(ref _rebindBudget, _options.RebindTrialsPerSecond);
        long deadline = Environment.TickCount64 - (long)_deadPeerTimeout.TotalMilliseconds;
        foreach (var pair in _bySession)
        {
            if (pair.Value.LastReceivedTicks < deadline)
            {
                pair.Value.Close(DtlsCloseReason.PeerSilent, notify: true);
            }
        }
    }

    /// <summary>The address as an <see cref="IPEndPoint"/> (for logs and <see cref="IDtlsChannel.RemoteEndPoint"/>).</summary>
    internal static IPEndPoint ToEndPoint(SocketAddress address) =>
        (IPEndPoint)new IPEndPoint(address.Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0).Create(address);

    /// <summary>Sends the HelloVerifyRequest that <see cref="DtlsVerifier"/> builds, straight back to the sender.</summary>
    private sealed class HelloVerifySender(DtlsListener listener, SocketAddress to) : DatagramSender
    {
        public int GetSendLimit() => 1200;

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer)
        {
            listener.Socket.SendTo(buffer, SocketFlags.None, to);
            listener.Counters.CountHelloVerifyRequest();
        }
    }
}
