using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Testing.Dtls;

/// <summary>
/// A BouncyCastle DTLS 1.2 client that behaves like openconnect in master-secret mode: it
/// resumes a session with a known id and master secret and sends no extended-master-secret
/// extension. Stands in for openconnect where the tests run in-process.
/// </summary>
public sealed class ResumingDtlsClient : DefaultTlsClient
{
    private readonly byte[] _sessionId;
    private readonly byte[] _masterSecret;
    private readonly int _cipherSuite;

    public ResumingDtlsClient(DtlsSessionId sessionId, byte[] masterSecret, int cipherSuite)
        : base(new BcTlsCrypto(new SecureRandom()))
    {
        _sessionId = sessionId.ToArray();
        _masterSecret = masterSecret;
        _cipherSuite = cipherSuite;
    }

    /// <summary>Connects over <paramref name="transport"/> and returns BouncyCastle's record layer.</summary>
    public static DtlsTransport Connect(DatagramTransport transport, DtlsSessionId sessionId, byte[] masterSecret, int cipherSuite = DtlsCipherSuite.RsaAes256GcmSha384) =>
        new DtlsClientProtocol().Connect(new ResumingDtlsClient(sessionId, masterSecret, cipherSuite), transport);

    public override TlsSession GetSessionToResume() =>
        TlsUtilities.ImportSession(_sessionId, new SessionParameters.Builder()
            .SetCipherSuite(_cipherSuite)
            .SetNegotiatedVersion(ProtocolVersion.DTLSv12)
            .SetMasterSecret(Crypto.CreateSecret(_masterSecret))
            .SetExtendedMasterSecret(false)
            .Build());

    public override bool ShouldUseExtendedMasterSecret() => false;

    public override bool AllowLegacyResumption() => true;

    public override int GetHandshakeTimeoutMillis() => 10_000;

    public override TlsAuthentication GetAuthentication() => new NoServerAuthentication();

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [_cipherSuite];

    /// <summary>A resumed handshake has no server certificate to check.</summary>
    private sealed class NoServerAuthentication : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "a full handshake was not expected");

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
    }
}
