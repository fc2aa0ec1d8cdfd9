using Org.BouncyCastle.Tls;

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
public sealed class DtlsPskClient : DtlsChannelClient
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
    private readonly byte[] _key;

    /// <param name="appId">The bytes of <c>X-DTLS-App-ID</c> (1 to <see cref="MaxAppIdLength"/>).</param>
    /// <param name="key">The <see cref="KeyLength"/> bytes exported from the TLS connection with <see cref="ExporterLabel"/>.</param>
    /// <param name="timeout">How long the handshake may take.</param>
    public DtlsPskClient(ReadOnlySpan<byte> appId, ReadOnlySpan<byte> key, TimeSpan timeout)
        : base(timeout)
    {
        if (appId.Length is 0 or > MaxAppIdLength)
        {
            throw new ArgumentException($"The DTLS application id is 1 to {MaxAppIdLength} bytes, not {appId.Length}.", nameof(appId));
        }

        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"The DTLS PSK is {KeyLength} bytes, not {key.Length}.", nameof(key));
        }

        _appId = appId.ToArray();
        _key = key.ToArray();
    }

    public override TlsPskIdentity GetPskIdentity() => new BasicTlsPskIdentity(Identity, _key);

    /// <summary>Plain PSK key exchange: the server sends no certificate, so nothing is ever authenticated here.</summary>
    public override TlsAuthentication GetAuthentication() =>
        throw new TlsFatalAlert(AlertDescription.internal_error, "a PSK handshake has no server certificate");

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        extensions[AppIdExtension] = [(byte)_appId.Length, .. _appId];
        return extensions;
    }

    protected override (DtlsCipherSuite Suite, byte[] KeyBlock) DeriveKeys(SecurityParameters parameters)
    {
        var suite = DtlsCipherSuite.Psk.FirstOrDefault(s => s.Code == parameters.CipherSuite)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, $"the gateway chose cipher suite 0x{parameters.CipherSuite:X4}, which was not offered");
        return (suite, DtlsResumption.KeyBlock(parameters, suite));
    }

    protected override int[] GetSupportedCipherSuites() => [.. DtlsCipherSuite.Psk.Select(s => s.Code)];
}
