namespace OpenTunnel.Gateway.Dtls;

/// <summary>Why the listener dropped a datagram or record (the <c>reason</c> tag of <c>opentunnel.gateway.dtls.dropped</c>).</summary>
public enum DtlsDropReason
{
    /// <summary>From an address with no channel, and neither a ClientHello nor re-matched to a rebound client.</summary>
    UnknownPeer,

    /// <summary>A ClientHello whose session id names no live session.</summary>
    UnknownSession,

    /// <summary>Not a well-formed DTLS 1.2 record.</summary>
    Malformed,

    /// <summary>Did not authenticate under the channel's keys.</summary>
    AuthenticationFailed,

    /// <summary>A sequence number already received, or older than the replay window.</summary>
    Replayed,

    /// <summary>A record of another epoch than the channel's.</summary>
    WrongEpoch,

    /// <summary>A ClientHello while <see cref="DtlsOptions.MaxConcurrentHandshakes"/> handshakes were running.</summary>
    HandshakesBusy,

    /// <summary>A datagram for a running handshake whose queue was full.</summary>
    HandshakeQueueFull,

    /// <summary>An authentic record the channel has no use for (an unknown CSTP type, a late handshake record).</summary>
    Unexpected,
}

/// <summary>How a DTLS handshake ended (the <c>result</c> tag of <c>opentunnel.gateway.dtls.handshakes</c>).</summary>
public enum DtlsHandshakeResult
{
    Succeeded,

    /// <summary>Ended by an alert or an error (wrong master secret, unsupported offer).</summary>
    Failed,

    /// <summary>Did not finish within <see cref="DtlsOptions.HandshakeTimeoutSeconds"/>.</summary>
    TimedOut,
}

/// <summary>
/// Counters of one listener, kept as plain 64-bit cells updated with Interlocked so the receive
/// path allocates nothing; the gateway's DTLS metrics publish them.
/// </summary>
public sealed class DtlsListenerCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DtlsDropReason>().Length];
    private readonly long[] _handshakes = new long[Enum.GetValues<DtlsHandshakeResult>().Length];
    private long _helloVerifyRequests;
    private long _rebinds;
    private long _bytesReceived;
    private long _bytesSent;

    /// <summary>Datagrams or records dropped for <paramref name="reason"/>.</summary>
    public long Dropped(DtlsDropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>Handshakes that ended with <paramref name="result"/>.</summary>
    public long Handshakes(DtlsHandshakeResult result) => Volatile.Read(ref _handshakes[(int)result]);

    /// <summary>Cookies sent (RFC 6347 §4.2.1): ClientHellos answered before any state was kept.</summary>
    public long HelloVerifyRequests => Volatile.Read(ref _helloVerifyRequests);

    /// <summary>Channels re-matched to a new client address (NAT rebinding).</summary>
    public long Rebinds => Volatile.Read(ref _rebinds);

    /// <summary>IP bytes received over every channel (DATA packets only).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>IP bytes sent over every channel (DATA packets only).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    internal void Drop(DtlsDropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void Handshake(DtlsHandshakeResult result) => Interlocked.Increment(ref _handshakes[(int)result]);

    internal void HelloVerifyRequestSent() => Interlocked.Increment(ref _helloVerifyRequests);

    internal void Rebound() => Interlocked.Increment(ref _rebinds);

    internal void DataReceived(int bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    internal void DataSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);
}

/// <summary>Traffic counters of one DTLS channel (DATA packets only; DPD and keepalives are not traffic).</summary>
public sealed class DtlsChannelCounters
{
    private long _packetsReceived;
    private long _bytesReceived;
    private long _packetsSent;
    private long _bytesSent;

    public long PacketsReceived => Volatile.Read(ref _packetsReceived);

    /// <summary>IP bytes received (the packets, without DTLS or CSTP headers).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long PacketsSent => Volatile.Read(ref _packetsSent);

    /// <summary>IP bytes sent (the packets, without DTLS or CSTP headers).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    internal void Received(int bytes)
    {
        Interlocked.Increment(ref _packetsReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    internal void Sent(int bytes)
    {
        Interlocked.Increment(ref _packetsSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }
}
