using Org.BouncyCastle.Tls;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The client side of a DTLS handshake that hands its keys to the .NET record layer: run it with
/// <c>new DtlsClientProtocol().Connect(client, transport)</c>; <see cref="KeyBlock"/> and
/// <see cref="Suite"/> then feed <see cref="DtlsRecordProtection.ForClient"/>.
/// </summary>
public interface IDtlsChannelClient : TlsClient
{
    /// <summary>client key ‖ server key ‖ client IV ‖ server IV, once the handshake completed.</summary>
    byte[]? KeyBlock { get; }

    /// <summary>The suite the records are protected with, once the handshake completed.</summary>
    DtlsCipherSuite? Suite { get; }

    /// <summary>The last alert this side raised or received, for the message of a failed handshake.</summary>
    string? LastAlert { get; }
}
