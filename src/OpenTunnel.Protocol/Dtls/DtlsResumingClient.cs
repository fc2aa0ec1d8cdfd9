using Org.BouncyCastle.Tls;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The client side of the DTLS handshake in master-secret mode, as openconnect 9.01 does it
/// (gnutls-dtls.c <c>start_dtls_resume_handshake</c>): it resumes a session that never existed,
/// with the id of <c>X-DTLS-Session-ID</c> and the master secret the client sent in
/// <c>X-DTLS-Master-Secret</c>, DTLS 1.2 only, without the extended-master-secret extension, and
/// offers only the suite the gateway named. A full handshake is refused: it would carry keys this
/// client cannot know.
/// </summary>
public sealed class DtlsResumingClient : DtlsChannelClient
{
    private readonly DtlsSessionId _sessionId;
    private readonly byte[] _masterSecret;
    private readonly DtlsCipherSuite _suite;

    public DtlsResumingClient(DtlsSessionId sessionId, ReadOnlySpan<byte> masterSecret, DtlsCipherSuite suite, TimeSpan timeout)
        : base(timeout)
    {
        ArgumentNullException.ThrowIfNull(suite);
        _sessionId = sessionId;
        _masterSecret = masterSecret.ToArray();
        _suite = suite;
    }

    public override TlsSession GetSessionToResume() => DtlsResumption.ImportSession(Crypto, _sessionId, _masterSecret, _suite);

    public override bool ShouldUseExtendedMasterSecret() => false;

    public override bool AllowLegacyResumption() => true;

    public override TlsAuthentication GetAuthentication() => new NoFullHandshake();

    protected override (DtlsCipherSuite Suite, byte[] KeyBlock) DeriveKeys(SecurityParameters parameters) =>
        (_suite, DtlsResumption.DeriveKeyBlock(parameters, _suite));

    protected override int[] GetSupportedCipherSuites() => [_suite.Code];

    /// <summary>A resumed handshake has no server certificate; one arriving means a full handshake.</summary>
    private sealed class NoFullHandshake : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the gateway started a full handshake instead of resuming the session");

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }
}
