using System.Net;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>The DTLS channel's log messages; event ids 4000–4099 (issue #4).</summary>
internal static partial class DtlsLog
{
    [LoggerMessage(4000, LogLevel.Information, "DTLS listening on udp/{EndPoint} (socket buffers: receive {ReceiveBuffer} bytes, send {SendBuffer} bytes)")]
    public static partial void Listening(ILogger logger, EndPoint endPoint, int receiveBuffer, int sendBuffer);

    [LoggerMessage(4001, LogLevel.Warning, "DTLS socket buffers are {ReceiveBuffer}/{SendBuffer} bytes, below the {Requested} bytes of Udp:SocketBufferBytes: bursts may overflow (raise net.core.rmem_max/wmem_max, or run with CAP_NET_ADMIN)")]
    public static partial void SmallSocketBuffers(ILogger logger, int receiveBuffer, int sendBuffer, int requested);

    [LoggerMessage(4002, LogLevel.Information, "DTLS established for {Session} from {Client} ({Suite}) in {Milliseconds} ms")]
    public static partial void Established(ILogger logger, string session, EndPoint client, string suite, long milliseconds);

    [LoggerMessage(4003, LogLevel.Warning, "DTLS handshake for {Session} from {Client} failed after {Milliseconds} ms: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string session, EndPoint client, long milliseconds, string reason);

    [LoggerMessage(4004, LogLevel.Warning, "DTLS handshake for {Session} from {Client} timed out after {Milliseconds} ms")]
    public static partial void HandshakeTimedOut(ILogger logger, string session, EndPoint client, long milliseconds);

    [LoggerMessage(4005, LogLevel.Debug, "DTLS ClientHello from {Client} names no live session; dropped")]
    public static partial void UnknownSession(ILogger logger, EndPoint client);

    [LoggerMessage(4006, LogLevel.Debug, "DTLS ClientHello from {Client} dropped: {Running} handshakes already running (Udp:MaxConcurrentHandshakes)")]
    public static partial void HandshakesBusy(ILogger logger, EndPoint client, int running);

    [LoggerMessage(4007, LogLevel.Information, "DTLS channel of {Session} moved from {OldClient} to {NewClient} (NAT rebinding)")]
    public static partial void Rebound(ILogger logger, string session, EndPoint oldClient, EndPoint newClient);

    [LoggerMessage(4008, LogLevel.Information, "DTLS channel of {Session} from {Client} closed ({Reason}); {PacketsIn} packets/{BytesIn} bytes in, {PacketsOut} packets/{BytesOut} bytes out, last record {SecondsSinceLast} s ago")]
    public static partial void Closed(ILogger logger, string session, EndPoint client, DtlsCloseReason reason, long packetsIn, long bytesIn, long packetsOut, long bytesOut, long secondsSinceLast);

    [LoggerMessage(4009, LogLevel.Error, "DTLS receive loop failed; UDP stops, sessions continue over TLS")]
    public static partial void ReceiveLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(4010, LogLevel.Debug, "DTLS send to {Client} failed: {Error}")]
    public static partial void SendFailed(ILogger logger, EndPoint client, string error);

    [LoggerMessage(4011, LogLevel.Error, "DTLS handshake thread for {Client} failed unexpectedly")]
    public static partial void HandshakeCrashed(ILogger logger, EndPoint client, Exception exception);

    [LoggerMessage(4012, LogLevel.Error, "A session's DTLS callback threw; the datagram was dropped")]
    public static partial void SessionCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(4013, LogLevel.Error, "Processing a DTLS datagram failed; it was dropped and UDP carries on")]
    public static partial void DatagramFailed(ILogger logger, Exception exception);

    [LoggerMessage(4014, LogLevel.Information, "Session {SessionId}: data to the client now over {Transport} ({Reason})")]
    public static partial void DataPathChanged(ILogger logger, long sessionId, string transport, string reason);

    [LoggerMessage(4016, LogLevel.Information, "DTLS is off (Udp:Enabled is false): every tunnel runs over TLS")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(4015, LogLevel.Information, "Session {SessionId}: no DTLS offered ({Reason}); the tunnel runs over TLS")]
    public static partial void NotOffered(ILogger logger, long sessionId, string reason);

    [LoggerMessage(4017, LogLevel.Warning, "UDP segmentation offload is not available ({Reason}): DTLS records to clients go out one system call each")]
    public static partial void SegmentationUnavailable(ILogger logger, string reason);
}
