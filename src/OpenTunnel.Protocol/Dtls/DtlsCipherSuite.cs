namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// A DTLS 1.2 cipher suite the gateway can resume in master-secret mode, with the name the
/// client offers for it and the header that carries that name. Only AES-GCM suites: the record
/// layer after the handshake is AES-GCM (<see cref="IRecordCipher"/>).
/// </summary>
/// <param name="Name">The name as it appears in the CONNECT headers (for example <c>OC-DTLS1_2-AES256-GCM</c>).</param>
/// <param name="IsCiscoDtls12">True when the name belongs in <c>X-DTLS12-CipherSuite</c> rather than <c>X-DTLS-CipherSuite</c>.</param>
/// <param name="Code">The IANA cipher suite number the handshake uses.</param>
/// <param name="KeyLength">AES key length in bytes (16 or 32).</param>
/// <param name="Preference">Higher wins when the client offers several (ocserv's <c>server_prio</c>).</param>
public sealed record DtlsCipherSuite(string Name, bool IsCiscoDtls12, int Code, int KeyLength, int Preference)
{
    /// <summary>TLS_RSA_WITH_AES_128_GCM_SHA256.</summary>
    public const int RsaAes128GcmSha256 = 0x009C;

    /// <summary>TLS_RSA_WITH_AES_256_GCM_SHA384.</summary>
    public const int RsaAes256GcmSha384 = 0x009D;

    /// <summary>TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.</summary>
    public const int EcdheRsaAes128GcmSha256 = 0xC02F;

    /// <summary>TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.</summary>
    public const int EcdheRsaAes256GcmSha384 = 0xC030;

    /// <summary>TLS_PSK_WITH_AES_128_GCM_SHA256 (RFC 5487).</summary>
    public const int PskAes128GcmSha256 = 0x00A8;

    /// <summary>TLS_PSK_WITH_AES_256_GCM_SHA384 (RFC 5487).</summary>
    public const int PskAes256GcmSha384 = 0x00A9;

    /// <summary>
    /// The name a client puts first in <c>X-DTLS-CipherSuite</c> to ask for openconnect's PSK mode,
    /// and the whole value of the server's answer when it takes it (ocserv vpn.h <c>DTLS_PROTO_INDICATOR</c>):
    /// the suite is then negotiated in the DTLS handshake itself, keyed by a PSK exported from the TLS connection.
    /// </summary>
    public const string PskNegotiate = "PSK-NEGOTIATE";

    /// <summary>
    /// The suites a client offers in the handshake of <see cref="PskNegotiate"/>: plain PSK key
    /// exchange, as ocserv allows it there (worker-vpn.c <c>setup_dtls_psk_keys</c>: its TLS
    /// priorities with <c>-KX-ALL:+PSK</c>), restricted to AES-GCM for the .NET record layer.
    /// Their names and headers are not sent: the handshake names them.
    /// </summary>
    public static IReadOnlyList<DtlsCipherSuite> Psk { get; } =
    [
        new("PSK-AES256-GCM-SHA384", false, PskAes256GcmSha384, 32, 90),
        new("PSK-AES128-GCM-SHA256", false, PskAes128GcmSha256, 16, 80),
    ];

    /// <summary>
    /// Every suite the gateway accepts: openconnect's <c>gnutls_dtls_ciphers[]</c> table
    /// (gnutls-dtls.c) restricted to DTLS 1.2 with AES-GCM. The DTLS 0.9 CBC suites need a
    /// DTLS version BouncyCastle has no server for; <c>OC2-DTLS1_2-CHACHA20-POLY1305</c> is a
    /// PSK suite. A resumed ECDHE suite needs no certificate, so those work as well.
    /// Preferences follow ocserv (AES-256 above AES-128).
    /// </summary>
    public static IReadOnlyList<DtlsCipherSuite> All { get; } =
    [
        new("OC-DTLS1_2-AES256-GCM", false, RsaAes256GcmSha384, 32, 90),
        new("OC-DTLS1_2-AES128-GCM", false, RsaAes128GcmSha256, 16, 80),
        new("AES256-GCM-SHA384", true, RsaAes256GcmSha384, 32, 90),
        new("ECDHE-RSA-AES256-GCM-SHA384", true, EcdheRsaAes256GcmSha384, 32, 85),
        new("AES128-GCM-SHA256", true, RsaAes128GcmSha256, 16, 50),
        new("ECDHE-RSA-AES128-GCM-SHA256", true, EcdheRsaAes128GcmSha256, 16, 45),
    ];

    /// <summary>The CONNECT response header that names this suite.</summary>
    public string HeaderName => IsCiscoDtls12 ? "X-DTLS12-CipherSuite" : "X-DTLS-CipherSuite";

    /// <summary>
    /// What a client offers in one of the two CONNECT request headers: every suite of that header,
    /// most preferred first, colon-separated as openconnect sends them.
    /// </summary>
    public static string Offer(bool cisco) =>
        string.Join(':', All.Where(s => s.IsCiscoDtls12 == cisco).OrderByDescending(s => s.Preference).Select(s => s.Name));

    /// <summary>The suite called <paramref name="name"/> in the header <paramref name="cisco"/> selects, or null when there is none.</summary>
    public static DtlsCipherSuite? Named(string name, bool cisco)
    {
        foreach (var suite in All)
        {
            if (suite.IsCiscoDtls12 == cisco && suite.Name.Equals(name.Trim(), StringComparison.Ordinal))
            {
                return suite;
            }
        }

        return null;
    }

    /// <summary>
    /// Picks the suite for a CONNECT request from the client's offers, or null when nothing
    /// usable was offered (then the CONNECT response carries no DTLS headers and the tunnel
    /// runs over TLS). Like ocserv (worker-http.c), an offer in <c>X-DTLS12-CipherSuite</c>
    /// takes precedence over one in <c>X-DTLS-CipherSuite</c>, and within a header the highest
    /// preference wins, whatever the client's order. Unknown names (<c>PSK-NEGOTIATE</c>, the
    /// DTLS 0.9 suites) are ignored.
    /// </summary>
    public static DtlsCipherSuite? Select(string? dtlsCipherSuites, string? dtls12CipherSuites) =>
        SelectFrom(dtls12CipherSuites, cisco: true) ?? SelectFrom(dtlsCipherSuites, cisco: false);

    private static DtlsCipherSuite? SelectFrom(string? offer, bool cisco)
    {
        if (string.IsNullOrEmpty(offer))
        {
            return null;
        }

        DtlsCipherSuite? best = null;
        foreach (var range in offer.AsSpan().Split(':'))
        {
            var name = offer.AsSpan()[range].Trim();
            foreach (var suite in All)
            {
                if (suite.IsCiscoDtls12 == cisco && name.Equals(suite.Name, StringComparison.Ordinal) &&
                    (best is null || suite.Preference > best.Preference))
                {
                    best = suite;
                }
            }
        }

        return best;
    }
}
