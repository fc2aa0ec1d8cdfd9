using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The client side of the DTLS handshake in master-secret mode, as openconnect 9.01 does it
/// (gnutls-dtls.c <c>start_dtls_resume_handshake</c>): it resumes a session that never existed,
/// with the id of <c>X-DTLS-Session-ID</c> and the master secret the client sent in
/// <c>X-DTLS-Master-Secret</c>, DTLS 1.2 only, without the extended-master-secret extension, and
/// offers only the suite the gateway named. A full handshake is refused: it would carry keys this
/// client cannot know. Run it with <c>new DtlsClientProtocol().Connect(client, transport)</c>;
/// <see cref="KeyBlock"/> then feeds <see cref="DtlsRecordProtection.ForClient"/>.
/// </summary>
public sealed class DtlsResumingClient : DefaultTlsClient, IDtlsChannelClient
{
    private readonly DtlsSessionId _sessionId;
    private readonly byte[] _masterSecret;
    private readonly DtlsCipherSuite _suite;
    private readonly int _timeoutMillis;

    public DtlsResumingClient(DtlsSessionId sessionId, ReadOnlySpan<byte> masterSecret, DtlsCipherSuite suite, TimeSpan timeout)
        : base(new BcTlsCrypto(new SecureRandom()))
    {
        ArgumentNullException.ThrowIfNull(suite);
        _sessionId = sessionId;
        _masterSecret = masterSecret.ToArray();
        _suite = suite;
        _timeoutMillis = (int)timeout.TotalMilliseconds;
    }

    public byte[]? KeyBlock { get; private set; }

    /// <summary>The suite the gateway named (the only one offered).</summary>
    public DtlsCipherSuite Suite => _suite;

    DtlsCipherSuite? IDtlsChannelClient.Suite => _suite;

    public string? LastAlert { get; private set; }

    public override TlsSession GetSessionToResume() => DtlsResumption.ImportSession(Crypto, _sessionId, _masterSecret, _suite);

    public override bool ShouldUseExtendedMasterSecret() => false;

    public override bool AllowLegacyResumption() => true;

    public override int GetHandshakeTimeoutMillis() => _timeoutMillis;

    public override TlsAuthentication GetAuthentication() => new NoFullHandshake();

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

    protected override int[] GetSupportedCipherSuites() => [_suite.Code];

    /// <summary>A resumed handshake has no server certificate; one arriving means a full handshake.</summary>
    private sealed class NoFullHandshake : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the gateway started a full handshake instead of resuming the session");

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }
}
