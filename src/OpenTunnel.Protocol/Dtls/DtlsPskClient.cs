using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The client side of openconnect's <see cref="DtlsCipherSuite.PskNegotiate"/> DTLS mode, as
/// openconnect 9.01 runs it against ocserv: a full DTLS 1.2 handshake with PSK key exchange,
/// identity <c>psk</c> and as key the 32 bytes both ends export from their TLS connection with the
/// label <see cref="ExporterLabel"/> and no context (ocserv worker-vpn.c <c>setup_dtls_psk_keys</c>,
/// openconnect <c>PSK_LABEL</c>). The ClientHello carries the gateway's <c>X-DTLS-App-ID</c> in
/// the application-id extension (48018: one length byte, then the id), which is how ocserv finds
/// the session a datagram belongs to (main.c <c>get_session_id</c>). Only AES-GCM suites are
/// offered (<see cref="DtlsCipherSuite.Psk"/>): the record layer after the handshake is .NET's.
/// </summary>
public sealed class DtlsPskClient : PskTlsClient, IDtlsChannelClient
{
    /// <summary>The TLS exporter label of the PSK (RFC 5705).</summary>
    public const string ExporterLabel = "EXPORTER-openconnect-psk";

    /// <summary>Length of the exported PSK in bytes (ocserv tlslib.h <c>PSK_KEY_SIZE</c>).</summary>
    public const int KeyLength = 32;

    /// <summary>The PSK identity openconnect sends (ocserv ignores it: the key is the session's).</summary>
    public const string Identity = "psk";

    /// <summary>The ClientHello extension that names the session (openconnect <c>DTLS_APP_ID_EXT</c>, ocserv <c>TLS_EXT_APP_ID</c>).</summary>
    public const int AppIdExtension = 48018;

    /// <summary>The longest application id the extension's one length byte and openconnect's buffer hold.</summary>
    public const int MaxAppIdLength = 32;

    private readonly byte[] _appId;
    private readonly int _timeoutMillis;

    /// <param name="appId">The bytes of <c>X-DTLS-App-ID</c> (1 to <see cref="MaxAppIdLength"/>).</param>
    /// <param name="key">The <see cref="KeyLength"/> bytes exported from the TLS connection with <see cref="ExporterLabel"/>.</param>
    /// <param name="timeout">How long the handshake may take.</param>
    public DtlsPskClient(ReadOnlySpan<byte> appId, ReadOnlySpan<byte> key, TimeSpan timeout)
        : base(new BcTlsCrypto(new SecureRandom()), new BasicTlsPskIdentity(Identity, CheckedKey(key)))
    {
        if (appId.Length is 0 or > MaxAppIdLength)
        {
            throw new ArgumentException($"The DTLS application id is 1 to {MaxAppIdLength} bytes, not {appId.Length}.", nameof(appId));
        }

        _appId = appId.ToArray();
        _timeoutMillis = (int)timeout.TotalMilliseconds;
    }

    public byte[]? KeyBlock { get; private set; }

    /// <summary>The suite the gateway chose, once the handshake completed.</summary>
    public DtlsCipherSuite? Suite { get; private set; }

    public string? LastAlert { get; private set; }

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        extensions[AppIdExtension] = [(byte)_appId.Length, .. _appId];
        return extensions;
    }

    public override int GetHandshakeTimeoutMillis() => _timeoutMillis;

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: true, alertDescription, message);

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        LastAlert = DtlsResumption.DescribeAlert(sent: false, alertDescription);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var parameters = m_context.SecurityParameters;
        var suite = DtlsCipherSuite.Psk.FirstOrDefault(s => s.Code == parameters.CipherSuite)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, $"the gateway chose cipher suite 0x{parameters.CipherSuite:X4}, which was not offered");
        KeyBlock = DtlsResumption.KeyBlock(parameters, suite);
        Suite = suite;
    }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [.. DtlsCipherSuite.Psk.Select(s => s.Code)];

    private static byte[] CheckedKey(ReadOnlySpan<byte> key) =>
        key.Length == KeyLength ? key.ToArray() : throw new ArgumentException($"The DTLS PSK is {KeyLength} bytes, not {key.Length}.", nameof(key));
}
