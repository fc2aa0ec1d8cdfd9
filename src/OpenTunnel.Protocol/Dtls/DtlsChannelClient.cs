using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The client side of a DTLS 1.2 handshake that hands its keys to the .NET record layer, in either
/// of openconnect's modes (<see cref="DtlsResumingClient"/>, <see cref="DtlsPskClient"/>): run it with
/// <c>new DtlsClientProtocol().Connect(client, transport)</c>; <see cref="KeyBlock"/> and
/// <see cref="Suite"/> then feed <see cref="DtlsRecordProtection.ForClient"/>.
/// </summary>
/// <param name="timeout">How long the handshake may take.</param>
public abstract class DtlsChannelClient(TimeSpan timeout) : AbstractTlsClient(new BcTlsCrypto(new SecureRandom()))
{
    /// <summary>client key ‖ server key ‖ client IV ‖ server IV, once the handshake completed.</summary>
    public byte[]? KeyBlock { get; private set; }

    /// <summary>The suite the records are protected with, once the handshake completed.</summary>
    public DtlsCipherSuite? Suite { get; private set; }

    /// <summary>The last alert this side raised or received, for the message of a failed handshake.</summary>
    public string? LastAlert { get; private set; }

    public override int GetHandshakeTimeoutMillis() => (int)timeout.TotalMilliseconds;

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: true, alertDescription, message);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: false, alertDescription);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        (DtlsCipherSuite suite, byte[] keyBlock) = DeriveKeys(m_context.SecurityParameters);
        KeyBlock = keyBlock;
        Suite = suite;
    }

    /// <summary>The suite and key block of the completed handshake (called before <c>Connect</c> clears the security parameters).</summary>
    protected abstract (DtlsCipherSuite Suite, byte[] KeyBlock) DeriveKeys(SecurityParameters parameters);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();
}
