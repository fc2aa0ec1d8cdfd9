using System.Net;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Gateway.Logging;

/// <summary>
/// Every log line of the gateway, source-generated, with stable event ids grouped by component:
/// 1xx listener and TLS, 2xx sign-in, 3xx tunnel and sessions, 4xx data plane, 5xx configuration
/// and control, 6xx firewall, 7xx metrics. A token never appears in any of them.
/// </summary>
internal static partial class GatewayLog
{
    [LoggerMessage(100, LogLevel.Information, "Listening on {EndPoint} (TLS 1.2/1.3); certificate {Subject}, expires {NotAfter:u}, pin-sha256:{Pin}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, string subject, DateTimeOffset notAfter, string pin);

    [LoggerMessage(101, LogLevel.Warning, "Generated a self-signed certificate in {Path}; clients must pin it: --servercert pin-sha256:{Pin}")]
    public static partial void SelfSignedCertificate(ILogger logger, string path, string pin);

    [LoggerMessage(108, LogLevel.Information, "Renewed the self-signed certificate in {Path} (the old one's validity ends {OldNotAfter:u}) for the same key, so the pin stays pin-sha256:{Pin}; valid until {NotAfter:u}")]
    public static partial void SelfSignedCertificateRenewed(ILogger logger, string path, DateTimeOffset oldNotAfter, string pin, DateTimeOffset notAfter);

    [LoggerMessage(109, LogLevel.Warning, "The TLS certificate '{Subject}' from {Source} {State} (Tls:ExpiryWarningDays {WarningDays}): install a renewed one and run reload before then")]
    public static partial void CertificateExpiresSoon(ILogger logger, string subject, string source, string state, int warningDays);

    [LoggerMessage(110, LogLevel.Error, "The TLS certificate '{Subject}' from {Source} is {State}: clients that check it refuse to connect; install a valid one and run reload")]
    public static partial void CertificateNotValid(ILogger logger, string subject, string source, string state);

    [LoggerMessage(102, LogLevel.Debug, "TLS handshake with {Client} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Could not let OpenSSL free the record buffers of idle TLS connections (SSL_MODE_RELEASE_BUFFERS); each connection keeps about 35 KB more")]
    public static partial void TlsBuffersKept(ILogger logger);

    [LoggerMessage(111, LogLevel.Debug, "The TLS records of session {SessionId} stay with SslStream: {Reason}")]
    public static partial void TlsRecordsKept(ILogger logger, long sessionId, string reason);

    [LoggerMessage(112, LogLevel.Debug, "The first connection after this certificate's load keeps SslStream: {Reason}")]
    public static partial void CertificateSecretsNotWatched(ILogger logger, string reason);

    [LoggerMessage(104, LogLevel.Information, "Bad request from {Client}: {Problem}")]
    public static partial void BadRequest(ILogger logger, IPEndPoint client, string problem);

    [LoggerMessage(105, LogLevel.Information, "Certificate reloaded: {Subject}, expires {NotAfter:u}, pin-sha256:{Pin}")]
    public static partial void CertificateReloaded(ILogger logger, string subject, DateTimeOffset notAfter, string pin);

    [LoggerMessage(106, LogLevel.Warning, "Refused a connection from {Client} at accept ({Reason}); {Suppressed} more refused for this reason in the last {Seconds} s without a line")]
    public static partial void ConnectionRefused(ILogger logger, System.Net.IPAddress client, string reason, long suppressed, int seconds);

    [LoggerMessage(107, LogLevel.Debug, "Closed the connection from {Client} before sign-in: {Reason}")]
    public static partial void PreAuthClosed(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(200, LogLevel.Information, "Sign-in of {User} (device {DeviceId}) from {Client} succeeded: session {SessionId}")]
    public static partial void SignedIn(ILogger logger, string user, string deviceId, IPAddress client, long sessionId);

    [LoggerMessage(201, LogLevel.Warning, "Sign-in from {Client} refused by check {Check}: {Detail}")]
    public static partial void SignInRefused(ILogger logger, IPAddress client, string check, string detail);

    [LoggerMessage(206, LogLevel.Information, "Redirected the new sign-in from {Client} to {Peer}: {Detail}")]
    public static partial void SignInRedirected(ILogger logger, IPEndPoint client, string peer, string detail);

    [LoggerMessage(202, LogLevel.Information, "Cookie from {Client} refused on {Request}: unknown, expired or revoked")]
    public static partial void CookieRefused(ILogger logger, IPAddress client, string request);

    [LoggerMessage(203, LogLevel.Warning, "Sign-in: {Problem}. Tokens of users and devices revoked before this start are not refused.")]
    public static partial void RevocationsUnreadable(ILogger logger, string problem);

    [LoggerMessage(204, LogLevel.Warning, "Client {Client} banned until {Until:u}: its score reached {Threshold} (last: {Reason}); its connections are closed at accept. 'opentunnel-gateway unban {Client}' lifts it")]
    public static partial void ClientBanned(ILogger logger, string client, string reason, int threshold, DateTimeOffset until);

    [LoggerMessage(205, LogLevel.Information, "Ban score and ban of {Client} cleared by the control API")]
    public static partial void ClientUnbanned(ILogger logger, string client);

    [LoggerMessage(300, LogLevel.Information, "Session {SessionId} of {User} connected from {Client} over {Transport}: address {Address}, IPv6 address {Address6}, MTU {Mtu}{Reconnect}")]
    public static partial void Connected(ILogger logger, long sessionId, string user, IPEndPoint client, string transport, IPAddress address, string address6, int mtu, string reconnect);

    [LoggerMessage(301, LogLevel.Information, "Session {SessionId} of {User} lost its TLS link from {Client} ({Reason}) after {Duration}; {BytesFromClient} bytes in, {BytesToClient} bytes out; cookie kept {CookieSeconds} s for a reconnect")]
    public static partial void Detached(ILogger logger, long sessionId, string user, IPEndPoint client, string reason, TimeSpan duration, long bytesFromClient, long bytesToClient, int cookieSeconds);

    [LoggerMessage(302, LogLevel.Information, "Session {SessionId} of {User} ended ({Reason}): address {Address}, from {Client}, {Duration} since sign-in, {BytesFromClient} bytes in, {BytesToClient} bytes out")]
    public static partial void SessionEnded(ILogger logger, long sessionId, string user, string reason, IPAddress address, IPEndPoint client, TimeSpan duration, long bytesFromClient, long bytesToClient);

    [LoggerMessage(303, LogLevel.Warning, "CONNECT of session {SessionId} of {User} refused: the address pool {Pool} is exhausted ({Capacity} addresses)")]
    public static partial void PoolExhausted(ILogger logger, long sessionId, string user, string pool, int capacity);

    [LoggerMessage(304, LogLevel.Information, "Session {SessionId}: CSTP stream from {Client} out of step ({Problem}); closing the link")]
    public static partial void BadFrame(ILogger logger, long sessionId, IPEndPoint client, string problem);

    [LoggerMessage(305, LogLevel.Information, "Restored {Count} session(s) from {Path}: their clients reconnect with their cookies and keep their addresses; {Dropped} not restored")]
    public static partial void SessionsRestored(ILogger logger, int count, string path, int dropped);

    [LoggerMessage(306, LogLevel.Warning, "Session {SessionId} of {User} saved before the restart was not restored: {Reason}; its client signs in again")]
    public static partial void SessionNotRestored(ILogger logger, long sessionId, string user, string reason);

    [LoggerMessage(307, LogLevel.Warning, "Sessions: {Problem}")]
    public static partial void SessionFileUnreadable(ILogger logger, string problem);

    [LoggerMessage(308, LogLevel.Error, "Cannot save the sessions to {Path} ({Reason}): the gateway keeps serving, but after a restart their clients must sign in again. Retried at the next sign-in or end of a session")]
    public static partial void SessionsNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(309, LogLevel.Information, "Sessions saved to {Path} again ({Count} session(s))")]
    public static partial void SessionsSavedAgain(ILogger logger, string path, int count);

    [LoggerMessage(310, LogLevel.Error, "Cannot save the revocations to {Path} ({Reason}): they hold until the gateway stops, but after a restart the tokens they cover would be accepted again. Retried at the next revocation")]
    public static partial void RevocationsNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(311, LogLevel.Information, "Revocations saved to {Path} again ({Count} revocation(s))")]
    public static partial void RevocationsSavedAgain(ILogger logger, string path, int count);

    [LoggerMessage(405, LogLevel.Warning, "TUN device {Device}: the kernel refused checksum and TCP segmentation offload (Network:TunOffload); every packet crosses the stack on its own")]
    public static partial void TunOffloadRefused(ILogger logger, string device);

    [LoggerMessage(400, LogLevel.Information, "TUN device {Device} up: {Address}/{PrefixLength}, MTU {Mtu}")]
    public static partial void TunUp(ILogger logger, string device, IPAddress address, int prefixLength, int mtu);

    [LoggerMessage(401, LogLevel.Error, "Reading the TUN device failed; the data plane stops: {Reason}")]
    public static partial void TunReadFailed(ILogger logger, string reason);

    [LoggerMessage(402, LogLevel.Debug, "Session {SessionId}: dropped a packet with source {Source}, not its address {Address}")]
    public static partial void SpoofedPacket(ILogger logger, long sessionId, IPAddress source, IPAddress address);

    [LoggerMessage(403, LogLevel.Warning, "{Overlap}: the host's own traffic there may go into the tunnel (Network:PoolOverlap is Warn)")]
    public static partial void PoolOverlapsHost(ILogger logger, string overlap);

    [LoggerMessage(404, LogLevel.Warning, "Network:IPv4Pool {Pool} holds the cloud metadata service 169.254.169.254, which this host reaches through its default route on {Interface}: with the pool on the TUN device the host's own requests to it go into the tunnel and get no answer. On a cloud machine that needs its metadata service, choose another pool")]
    public static partial void PoolHoldsMetadataService(ILogger logger, string pool, string @interface);

    [LoggerMessage(500, LogLevel.Information, "Configuration applied from {Origin}")]
    public static partial void ConfigurationApplied(ILogger logger, string origin);

    [LoggerMessage(501, LogLevel.Error, "Configuration from {Origin} refused, the running one stays: {Problems}")]
    public static partial void ConfigurationRefused(ILogger logger, string origin, string problems);

    [LoggerMessage(502, LogLevel.Information, "Control socket listening on {Path}")]
    public static partial void ControlListening(ILogger logger, string path);

    [LoggerMessage(503, LogLevel.Information, "Control: {Command} {Target} → {Count} session(s)")]
    public static partial void ControlCommand(ILogger logger, string command, string target, int count);

    [LoggerMessage(504, LogLevel.Warning, "Control request failed: {Reason}")]
    public static partial void ControlFailed(ILogger logger, string reason);

    [LoggerMessage(506, LogLevel.Warning, "SIGHUP: nothing to reload, the gateway was started without a configuration file")]
    public static partial void HangupWithoutFile(ILogger logger);

    [LoggerMessage(505, LogLevel.Information, "Stopping: telling {Count} client(s) the gateway terminates")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(600, LogLevel.Information, "Firewall: forwarding on, nftables table inet {Table} installed (masquerade {Pool})")]
    public static partial void FirewallInstalled(ILogger logger, string table, string pool);

    [LoggerMessage(601, LogLevel.Information, "Firewall: nftables table inet {Table} removed")]
    public static partial void FirewallRemoved(ILogger logger, string table);

    [LoggerMessage(602, LogLevel.Error, "Firewall: {Problem}")]
    public static partial void FirewallFailed(ILogger logger, string problem);

    [LoggerMessage(700, LogLevel.Information, "Metrics on http://{EndPoint}/metrics")]
    public static partial void MetricsListening(ILogger logger, IPEndPoint endPoint);
}
