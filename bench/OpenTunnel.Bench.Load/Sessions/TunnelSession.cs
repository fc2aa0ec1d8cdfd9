using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using OpenTunnel.Platform.Linux.Packets;
using OpenTunnel.Protocol.Client;
using OpenTunnel.Protocol.Http;
using OpenTunnel.Protocol.Cstp;

namespace OpenTunnel.Bench.Load.Sessions;

/// <summary>
/// One simulated client: signs in (XML forms or bearer token), sends CONNECT and then holds the
/// CSTP channel like an idle openconnect: it answers DPD requests, sends keepalives and DPDs on
/// its own schedule, and reads whatever the server sends without a TUN device behind it. With
/// --ping it also sends ICMP echo requests from its leased address as CSTP data and counts the
/// echo replies that come back, so the gateway's whole data path (TUN, forwarding) carries them.
/// </summary>
internal sealed class TunnelSession
{
    // A DPD request carries no payload from openconnect's idle path (cstp.c: only the MTU probe pads it).
    private static readonly byte[] s_keepaliveFrame = Frame(CstpPacketType.Keepalive);
    private static readonly byte[] s_dpdFrame = Frame(CstpPacketType.DpdRequest);

    // openconnect's DISCONNECT payload: reason byte 0xb0 ("user") followed by text (cstp.c cstp_bye).
    private static readonly byte[] s_disconnectFrame = Frame(CstpPacketType.Disconnect, [0xb0, .. "Client disconnected"u8]);

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly byte[] _header = new byte[CstpFrame.HeaderLength];
    private const int IcmpEchoLength = 8 + 32;
    private const byte IcmpProtocol = 1;
    private const byte IcmpEchoReply = 0;
    private const byte IcmpEchoRequest = 8;

    private readonly LoadCounters _counters;
    private HttpChannel? _channel;
    private ushort _pingSequence;
    private byte[] _buffered = [];
    private int _bufferedOffset;

    private TunnelSession(int index, LoadCounters counters)
    {
        Index = index;
        _counters = counters;
    }

    public int Index { get; }

    /// <summary>The address the server leased (X-CSTP-Address).</summary>
    public string? Address { get; private set; }

    /// <summary>The server's X-CSTP-Keepalive and X-CSTP-DPD, in seconds (0 when absent).</summary>
    public int ServerKeepaliveSeconds { get; private set; }

    public int ServerDpdSeconds { get; private set; }

    /// <summary>When this session next sends a keepalive and a DPD (Environment.TickCount64 ms); set by the scheduler.</summary>
    public long NextKeepaliveAt { get; set; }

    public long NextDpdAt { get; set; }

    public long NextPingAt { get; set; }

    /// <summary>True while the CSTP channel is open.</summary>
    public bool IsAlive { get; private set; }

    /// <summary>Signs in and sends CONNECT; on success the session is alive and its read loop runs.</summary>
    public static async Task<TunnelSession> EstablishAsync(int index, LoadOptions options, IPAddress? source, LoadCounters counters, CancellationToken cancellationToken)
    {
        var session = new TunnelSession(index, counters);
        HttpChannel? auth = null;
        try
        {
            auth = await HttpChannel.OpenAsync(options.Server, source, options.PinSha256, cancellationToken);
            string cookie = await ClientSignIn.SignInAsync(auth.Exchange, options.Server.Host, options.Server.Port, new SignInCredentials(options.Token, options.User, options.Password), cancellationToken);
            if (auth.Exchange.ServerClosing)
            {
                // openconnect sends CONNECT on the sign-in connection unless the server said it closes it.
                await auth.DisposeAsync();
                auth = await HttpChannel.OpenAsync(options.Server, source, options.PinSha256, cancellationToken);
            }

            await session.ConnectAsync(auth, options, cookie, cancellationToken);
            auth = null;
        }
        finally
        {
            if (auth is not null)
            {
                await auth.DisposeAsync();
            }
        }

        return session;
    }

    /// <summary>Reads and answers frames until the server or <see cref="StopAsync"/> ends the channel.</summary>
    public async Task RunAsync()
    {
        var channel = _channel!;
        try
        {
            while (true)
            {
                await ReadExactlyAsync(channel, _header);
                if (CstpFrame.TryReadHeader(_header, out var type, out int length) != CstpHeaderStatus.Complete)
                {
                    Interlocked.Increment(ref _counters.ProtocolErrors);
                    return;
                }

                byte[] payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                try
                {
                    await ReadExactlyAsync(channel, payload.AsMemory(0, length));
                    if (!await HandleFrameAsync(type, payload.AsMemory(0, length)))
                    {
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(payload);
                }
            }
        }
        // A read on a stream that the gateway's reset or StopAsync has torn down meanwhile ends in one of these.
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (IsAlive)
            {
                Interlocked.Increment(ref _counters.ConnectionsLost);
            }
        }
        finally
        {
            IsAlive = false;
        }
    }

    public Task SendKeepaliveAsync() => SendAsync(s_keepaliveFrame, ref _counters.KeepalivesSent);

    public Task SendDpdAsync() => SendAsync(s_dpdFrame, ref _counters.DpdRequestsSent);

    /// <summary>Sends one ICMP echo request to <paramref name="target"/> from the leased address, as a CSTP data frame.</summary>
    public Task SendPingAsync(IPAddress target)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + IpPacket.Ipv4MinHeaderLength + IcmpEchoLength];
        CstpFrame.WriteHeader(frame, CstpPacketType.Data, frame.Length - CstpFrame.HeaderLength);
        WriteEchoRequest(frame.AsSpan(CstpFrame.HeaderLength), IPAddress.Parse(Address!), target, (ushort)Index, ++_pingSequence);
        return SendAsync(frame, ref _counters.PingsSent);
    }

    /// <summary>Writes an IPv4 packet with an ICMP echo request (identifier, sequence number and 32 bytes of payload) into <paramref name="packet"/>.</summary>
    internal static void WriteEchoRequest(Span<byte> packet, IPAddress source, IPAddress destination, ushort identifier, ushort sequence)
    {
        var ip = packet[..IpPacket.Ipv4MinHeaderLength];
        ip.Clear();
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(IpPacket.Ipv4MinHeaderLength + IcmpEchoLength));
        ip[8] = 64;
        ip[9] = IcmpProtocol;
        source.TryWriteBytes(ip[12..16], out _);
        destination.TryWriteBytes(ip[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));

        var icmp = packet.Slice(IpPacket.Ipv4MinHeaderLength, IcmpEchoLength);
        icmp.Clear();
        icmp[0] = IcmpEchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (int i = 8; i < icmp.Length; i++)
        {
            icmp[i] = (byte)i;
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
    }

    /// <summary>True when <paramref name="packet"/> is an IPv4 ICMP echo reply with a valid checksum and <paramref name="identifier"/>.</summary>
    internal static bool IsEchoReply(ReadOnlySpan<byte> packet, ushort identifier)
    {
        if (!IpPacket.TryReadIpv4(packet, out var header) || header.Protocol != IcmpProtocol)
        {
            return false;
        }

        var icmp = packet[header.HeaderLength..header.TotalLength];
        return icmp.Length >= 8 && icmp[0] == IcmpEchoReply && InternetChecksum.IsValid(icmp)
            && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == identifier;
    }

    /// <summary>Says goodbye as openconnect does on SIGINT (DISCONNECT frame) and closes the connection.</summary>
    public async Task StopAsync()
    {
        if (_channel is null)
        {
            return;
        }

        bool wasAlive = IsAlive;
        IsAlive = false;
        try
        {
            if (wasAlive)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await WriteAsync(s_disconnectFrame, cts.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The server went first; the close below is all that is left to do.
        }

        await _channel.DisposeAsync();
    }

    private static byte[] Frame(CstpPacketType type, ReadOnlySpan<byte> payload = default)
    {
        byte[] frame = new byte[CstpFrame.HeaderLength + payload.Length];
        CstpFrame.WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsSpan(CstpFrame.HeaderLength));
        return frame;
    }

    private static int HeaderInt(HttpResponseHead head, string name) =>
        int.TryParse(head.Get(name), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : 0;

    private async Task ConnectAsync(HttpChannel channel, LoadOptions options, string cookie, CancellationToken cancellationToken)
    {
        try
        {
            // As openconnect 9.01 sends it without DTLS (no X-DTLS-Master-Secret, so the server offers no DTLS).
            var connectOptions = new ClientConnectOptions { Hostname = "bench" + Index.ToString(CultureInfo.InvariantCulture) };
            var head = await channel.Exchange.SendConnectAsync(ClientSignIn.ConnectRequest(options.Server.Host, cookie, connectOptions), cancellationToken);
            // openconnect accepts only "HTTP/1.1 200 " with a reason phrase (cstp.c start_cstp_connection).
            if (head.StatusCode != 200 || !head.StatusLine.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
            {
                throw new SignInException($"CONNECT: {head.StatusLine}{ClientSignIn.Reason(head)}");
            }

            Address = head.Get("X-CSTP-Address") ?? head.Get("X-CSTP-Address-IP6") ?? throw new SignInException("CONNECT: 200 without X-CSTP-Address");
            ServerKeepaliveSeconds = HeaderInt(head, "X-CSTP-Keepalive");
            ServerDpdSeconds = HeaderInt(head, "X-CSTP-DPD");
            _buffered = channel.Exchange.TakeBuffered();
            _channel = channel;
            IsAlive = true;
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    private async Task<bool> HandleFrameAsync(CstpPacketType type, ReadOnlyMemory<byte> payload)
    {
        switch (type)
        {
            case CstpPacketType.DpdRequest:
                Interlocked.Increment(ref _counters.DpdRequestsAnswered);
                byte[] response = new byte[CstpFrame.HeaderLength + payload.Length];
                CstpFrame.WriteHeader(response, CstpPacketType.DpdResponse, payload.Length);
                payload.Span.CopyTo(response.AsSpan(CstpFrame.HeaderLength));
                await WriteAsync(response, CancellationToken.None);
                return true;
            case CstpPacketType.DpdResponse:
                Interlocked.Increment(ref _counters.DpdResponsesReceived);
                return true;
            case CstpPacketType.Keepalive:
                Interlocked.Increment(ref _counters.KeepalivesReceived);
                return true;
            case CstpPacketType.Data when IsEchoReply(payload.Span, (ushort)Index):
                Interlocked.Increment(ref _counters.PingRepliesReceived);
                return true;
            case CstpPacketType.Disconnect or CstpPacketType.Terminate:
                Interlocked.Increment(ref _counters.ServerDisconnects);
                IsAlive = false;
                return false;
            default:
                Interlocked.Increment(ref _counters.OtherFramesReceived);
                return true;
        }
    }

    private Task ReadExactlyAsync(HttpChannel channel, Memory<byte> destination)
    {
        // Bytes that arrived with the CONNECT response come first.
        int fromBuffer = Math.Min(destination.Length, _buffered.Length - _bufferedOffset);
        if (fromBuffer > 0)
        {
            _buffered.AsSpan(_bufferedOffset, fromBuffer).CopyTo(destination.Span);
            _bufferedOffset += fromBuffer;
            if (_bufferedOffset == _buffered.Length)
            {
                _buffered = [];
                _bufferedOffset = 0;
            }
        }

        return fromBuffer == destination.Length ? Task.CompletedTask : channel.Stream.ReadExactlyAsync(destination[fromBuffer..]).AsTask();
    }

    private Task SendAsync(byte[] frame, ref long counter)
    {
        if (!IsAlive)
        {
            return Task.CompletedTask;
        }

        Interlocked.Increment(ref counter);
        return SendCountingErrorsAsync(frame);
    }

    private async Task SendCountingErrorsAsync(byte[] frame)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await WriteAsync(frame, cts.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            Interlocked.Increment(ref _counters.SendErrors);
        }
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            // One frame per write, so one frame per TLS record (openconnect and ocserv both expect that).
            await _channel!.Stream.WriteAsync(frame, cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
