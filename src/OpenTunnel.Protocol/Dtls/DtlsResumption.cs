using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// What both ends of a master-secret-mode DTLS handshake do with BouncyCastle 2.7.0 (docs
/// PROTOCOL §4a): the session both pretend to resume, and the key block for the .NET record layer
/// (<see cref="DtlsRecordProtection"/>) derived from it once the handshake completed.
/// </summary>
public static class DtlsResumption
{
    /// <summary>
    /// The session with <paramref name="sessionId"/> and the client's master secret, DTLS 1.2,
    /// without extended master secret (openconnect sends no such extension). A fresh one for
    /// every use: BouncyCastle consumes the imported master secret.
    /// </summary>
    public static TlsSession ImportSession(TlsCrypto crypto, DtlsSessionId sessionId, ReadOnlySpan<byte> masterSecret, DtlsCipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        ArgumentNullException.ThrowIfNull(suite);
        var parameters = new SessionParameters.Builder()
            .SetCipherSuite(suite.Code)
            .SetNegotiatedVersion(ProtocolVersion.DTLSv12)
            .SetMasterSecret(crypto.CreateSecret(masterSecret.ToArray()))
            .SetExtendedMasterSecret(false)
            .Build();
        return TlsUtilities.ImportSession(sessionId.ToArray(), parameters);
    }

    /// <summary>
    /// client key ‖ server key ‖ client IV ‖ server IV (RFC 5246 §6.3) of a completed handshake.
    /// Call it from <c>NotifyHandshakeComplete</c>: <c>Accept</c> and <c>Connect</c> clear the
    /// security parameters when they return. Only a resumption carries the client's master
    /// secret; a full handshake has keys neither side's record layer knows, and is refused.
    /// </summary>
    public static byte[] DeriveKeyBlock(SecurityParameters parameters, DtlsCipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(suite);
        if (!parameters.IsResumedSession)
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "DTLS in master-secret mode must resume the session");
        }

        return KeyBlock(parameters, suite);
    }

    /// <summary>
    /// client key ‖ server key ‖ client IV ‖ server IV (RFC 5246 §6.3) of any completed DTLS 1.2
    /// handshake with an AES-GCM <paramref name="suite"/>, from its master secret with the suite's PRF.
    /// Call it from <c>NotifyHandshakeComplete</c>, as <see cref="DeriveKeyBlock"/>.
    /// </summary>
    public static byte[] KeyBlock(SecurityParameters parameters, DtlsCipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(suite);
        byte[] seed = [.. parameters.ServerRandom, .. parameters.ClientRandom];
        int length = DtlsRecordProtection.KeyBlockLength(suite.KeyLength);
        return TlsUtilities.Prf(parameters, parameters.MasterSecret, ExporterLabel.key_expansion, seed, length).Extract();
    }

    /// <summary>An alert as a log line or message says it: <c>sent handshake_failure (why)</c>, <c>received close_notify</c>.</summary>
    public static string DescribeAlert(bool sent, short alertDescription, string? message = null) =>
        $"{(sent ? "sent" : "received")} {AlertDescription.GetText(alertDescription)}" + (message is null ? string.Empty : $" ({message})");
}
