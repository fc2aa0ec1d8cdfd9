using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace OpenTunnel.Gateway.Dtls;

/// <summary>
/// The BouncyCastle side of one DTLS handshake in master-secret mode: openconnect resumes a
/// session that never existed, with the id from <c>X-DTLS-Session-ID</c> and the master secret it
/// sent in <c>X-DTLS-Master-Secret</c> (gnutls-dtls.c, <c>start_dtls_resume_handshake</c>); a full
/// handshake makes it give up DTLS. What BouncyCastle 2.7.0 needs for that (docs PROTOCOL §4a):
/// DTLS 1.2 only, a fresh imported session on every call, legacy resumption (the client sends no
/// extended-master-secret extension), only the session's suite, and a real handshake timeout.
/// The key block for the .NET record layer is computed in <see cref="NotifyHandshakeComplete"/>,
/// because <c>Accept</c> clears the security parameters when it returns.
/// </summary>
internal sealed class DtlsResumptionServer : DefaultTlsServer
{
    private readonly DtlsSessionId _sessionId;
    private readonly byte[] _masterSecret;
    private readonly DtlsCipherSuite _suite;
    private readonly int _timeoutMillis;

    public DtlsResumptionServer(TlsCrypto crypto, DtlsSessionId sessionId, ReadOnlySpan<byte> masterSecret, DtlsCipherSuite suite, TimeSpan timeout)
        : base(crypto)
    {
        _sessionId = sessionId;
        _masterSecret = masterSecret.ToArray();
        _suite = suite;
        _timeoutMillis = (int)timeout.TotalMilliseconds;
    }

    /// <summary>client key ‖ server key ‖ client IV ‖ server IV, once the handshake completed.</summary>
    public byte[]? KeyBlock { get; private set; }

    /// <summary>The last alert this side raised or received, for the log line of a failed handshake.</summary>
    public string? LastAlert { get; private set; }

    public override TlsSession? GetSessionToResume(byte[] sessionID) =>
        sessionID is { Length: DtlsSessionId.Length } && DtlsSessionId.FromBytes(sessionID) == _sessionId
            ? DtlsResumption.ImportSession(Crypto, _sessionId, _masterSecret, _suite)
            : null;

    public override bool AllowLegacyResumption() => true;

    public override int GetHandshakeTimeoutMillis() => _timeoutMillis;

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: true, alertDescription, message);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: false, alertDescription);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        KeyBlock = DtlsResumption.DeriveKeyBlock(m_context.SecurityParameters, _suite);
    }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    // BouncyCastle picks from offered ∩ supported and ignores the resumed session's suite.
    protected override int[] GetSupportedCipherSuites() => [_suite.Code];
}
