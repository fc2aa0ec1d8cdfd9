using OpenTunnel.Protocol.Dtls;
using Org.BouncyCastle.Tls;

namespace OpenTunnel.Testing.Dtls;

/// <summary>
/// A DTLS client that behaves like openconnect in master-secret mode (the native client's
/// <see cref="DtlsResumingClient"/>), with BouncyCastle's own record layer. Stands in for
/// openconnect where the tests run in-process.
/// </summary>
public static class ResumingDtlsClient
{
    /// <summary>Connects over <paramref name="transport"/> and returns BouncyCastle's record layer.</summary>
    public static DtlsTransport Connect(DatagramTransport transport, DtlsSessionId sessionId, byte[] masterSecret, int cipherSuite = DtlsCipherSuite.RsaAes256GcmSha384)
    {
        var suite = DtlsCipherSuite.All.First(s => s.Code == cipherSuite);
        return new DtlsClientProtocol().Connect(new DtlsResumingClient(sessionId, masterSecret, suite, TimeSpan.FromSeconds(10)), transport);
    }
}
