using OpenTunnel.Gateway.Traffic;
using OpenTunnel.Protocol.Cstp;
using OpenTunnel.Protocol.Dtls;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// How the DTLS listener finds the CSTP session a ClientHello belongs to: by the 32-byte session
/// id the gateway sent in <c>X-DTLS-Session-ID</c>, and the device its receive loop serves too.
/// Implemented by the gateway's session table; called on the UDP receive thread, so it must be
/// quick and must not block, save <see cref="ServeDevice"/> waiting out another thread's drain.
/// </summary>
public interface IDtlsSessionDirectory
{
    /// <summary>The live session that was given <paramref name="sessionId"/> and still accepts DTLS, or false.</summary>
    bool TryFind(DtlsSessionId sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IDtlsSession? session);

    /// <summary>
    /// Called once as the receive loop starts: the file descriptor of a device the loop waits on
    /// together with its socket and serves with <see cref="ServeDevice"/> (the TUN device), or -1.
    /// </summary>
    int AttachDeviceReader();

    /// <summary>
    /// Called on the UDP receive thread after a batch of datagrams (their packets went to the
    /// sessions), and when the device was readable: sends what those packets caused and what else
    /// the device holds.
    /// </summary>
    DeviceRead ServeDevice();

    /// <summary>Called once as the receive loop ends: it no longer serves the device.</summary>
    void DetachDeviceReader();
}

/// <summary>What a read of the device left (<see cref="IDtlsSessionDirectory.ServeDevice"/>).</summary>
public enum DeviceRead
{
    /// <summary>The device held nothing more.</summary>
    Drained,

    /// <summary>The read stopped at its batch's end: serve the device again before waiting.</summary>
    More,

    /// <summary>The device failed: stop waiting on it (its failure is reported elsewhere).</summary>
    Failed,
}

/// <summary>
/// What a CSTP session gives to, and receives from, the DTLS listener. The listener calls these
/// members from its own threads: <see cref="OnDtlsPacket"/> on the UDP receive thread (so it
/// must not block: write to the TUN device and return), the others from a handshake thread.
/// </summary>
public interface IDtlsSession
{
    /// <summary>The session id sent in <c>X-DTLS-Session-ID</c>.</summary>
    DtlsSessionId DtlsSessionId { get; }

    /// <summary>The suite named in the CONNECT response (<see cref="DtlsCipherSuite.Select"/>).</summary>
    DtlsCipherSuite DtlsCipherSuite { get; }

    /// <summary>The 48 bytes of the client's <c>X-DTLS-Master-Secret</c>.</summary>
    ReadOnlySpan<byte> DtlsMasterSecret { get; }

    /// <summary>A short name for logs (user, assigned address).</summary>
    string DisplayName { get; }

    /// <summary>The session's traffic counters; a channel reads what went over it from them when it closes.</summary>
    SessionTraffic Traffic { get; }

    /// <summary>
    /// A handshake completed: from now on the session may send through <paramref name="channel"/>.
    /// A later handshake of the same session (the client reconnecting DTLS, perhaps from a new
    /// port) calls this again with a new channel, and the old one stops working.
    /// </summary>
    void OnDtlsEstablished(IDtlsChannel channel);

    /// <summary>One IP packet arrived over DTLS. The span is valid only during the call.</summary>
    void OnDtlsPacket(Span<byte> ipPacket);

    /// <summary>The client sent DISCONNECT over DTLS; <paramref name="reason"/> is its payload (0xB0 then text for a user disconnect).</summary>
    void OnDtlsDisconnect(ReadOnlySpan<byte> reason);

    /// <summary>
    /// <paramref name="channel"/> stopped without a replacement: the client sent an alert, it was
    /// silent for longer than the dead-peer time, or the listener stopped. Traffic must go over
    /// TLS until <see cref="OnDtlsEstablished"/> is called again.
    /// </summary>
    void OnDtlsClosed(IDtlsChannel channel, DtlsCloseReason reason);
}

/// <summary>Why a DTLS channel closed.</summary>
public enum DtlsCloseReason
{
    /// <summary>The client sent an alert (close_notify or fatal).</summary>
    AlertReceived,

    /// <summary>Nothing arrived for longer than the dead-peer time (ocserv: DPD_MAX_TRIES × DPD).</summary>
    PeerSilent,

    /// <summary>The session closed it (the session ended).</summary>
    ClosedBySession,

    /// <summary>The listener stopped.</summary>
    ListenerStopped,

    /// <summary>A new handshake of the same session took over (never passed to <see cref="IDtlsSession.OnDtlsClosed"/>: <see cref="IDtlsSession.OnDtlsEstablished"/> is called instead).</summary>
    Replaced,
}

/// <summary>
/// The established DTLS channel of one session, through which the session sends when DTLS is
/// its data channel. Thread-safe; sending allocates nothing.
/// </summary>
public interface IDtlsChannel
{
    /// <summary>The client's UDP address and port (it changes when the client's NAT rebinds).</summary>
    System.Net.EndPoint RemoteEndPoint { get; }

    /// <summary>The suite the channel runs.</summary>
    DtlsCipherSuite CipherSuite { get; }

    /// <summary>False once the channel closed or was replaced.</summary>
    bool IsOpen { get; }

    /// <summary><see cref="Environment.TickCount64"/> when the last authentic record arrived.</summary>
    long LastReceivedTicks { get; }

    /// <summary>
    /// Seals one IP packet as a DATA record; it leaves with the next <see cref="FlushData"/> (or
    /// sooner, when the records collected so far must go first). False when the channel is closed.
    /// </summary>
    bool TrySendData(ReadOnlySpan<byte> ipPacket);

    /// <summary>Sends the DATA records <see cref="TrySendData"/> collected.</summary>
    void FlushData();

    /// <summary>Sends a packet of any type (DPD request, keepalive, disconnect). False when the channel is closed or the socket refused it.</summary>
    bool TrySend(CstpPacketType type, ReadOnlySpan<byte> payload);

    /// <summary>Closes the channel (the session ended). Idempotent; no callback follows.</summary>
    void Close();
}
