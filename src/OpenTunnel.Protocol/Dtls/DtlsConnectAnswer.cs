using System.Globalization;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The DTLS part of a CONNECT answer, as the client reads it (openconnect cstp.c
/// <c>start_cstp_connection</c>): the id the ClientHello names the session by, the UDP port, the
/// suite, and the DTLS link's DPD, keepalive and MTU. In master-secret mode the id is
/// <c>X-DTLS-Session-ID</c> and the suite one of <see cref="DtlsCipherSuite.All"/>; in openconnect's
/// PSK mode (the answer <c>X-DTLS-CipherSuite: PSK-NEGOTIATE</c>) the id is <c>X-DTLS-App-ID</c>
/// (<see cref="AppId"/>) and the handshake chooses the suite. The gateway writes the master-secret
/// headers with <see cref="DtlsConnectHeaders.Build"/>.
/// </summary>
/// <param name="SessionId">X-DTLS-Session-ID: the id the ClientHello resumes (null in PSK mode).</param>
/// <param name="Port">X-DTLS-Port: the UDP port at the address the TLS connection reached.</param>
/// <param name="Suite">The suite of X-DTLS12-CipherSuite or X-DTLS-CipherSuite (null in PSK mode).</param>
/// <param name="DpdSeconds">X-DTLS-DPD (0 when absent: no probes over DTLS).</param>
/// <param name="KeepaliveSeconds">X-DTLS-Keepalive (0 when absent).</param>
/// <param name="Mtu">X-DTLS-MTU, or null when absent.</param>
public sealed record DtlsConnectAnswer(DtlsSessionId? SessionId, int Port, DtlsCipherSuite? Suite, int DpdSeconds, int KeepaliveSeconds, int? Mtu)
{
    /// <summary>X-DTLS-App-ID of a PSK-mode answer (1 to 32 bytes, openconnect cstp.c); null in master-secret mode.</summary>
    public byte[]? AppId { get; init; }

    /// <summary>True when the gateway took openconnect's PSK mode (<see cref="DtlsPskClient"/>).</summary>
    public bool IsPskNegotiate => AppId is not null;

    /// <summary>
    /// Reads the DTLS headers of a CONNECT answer; null when the gateway offers no DTLS (neither
    /// X-DTLS-Session-ID nor X-DTLS-App-ID: the tunnel stays on TLS). Throws
    /// <see cref="FormatException"/> naming the header when the gateway offers DTLS with a value
    /// this client cannot use, as openconnect fails the CONNECT for a session id of another
    /// length, or answers PSK-NEGOTIATE when <paramref name="pskOffered"/> is false.
    /// </summary>
    public static DtlsConnectAnswer? FromConnectResponse(HttpResponseHead head, bool pskOffered = false)
    {
        ArgumentNullException.ThrowIfNull(head);
        string? legacySuite = head.Get("X-DTLS-CipherSuite")?.Trim();
        string? appId = head.Get("X-DTLS-App-ID");
        if (appId is not null || legacySuite == DtlsCipherSuite.PskNegotiate)
        {
            return PskAnswer(head, appId, legacySuite, pskOffered);
        }

        if (head.Get("X-DTLS-Session-ID") is not { } id)
        {
            return null;
        }

        if (!DtlsSessionId.TryParseHex(id.Trim(), out var sessionId))
        {
            throw new FormatException($"X-DTLS-Session-ID '{id}' is not {DtlsSessionId.Length} bytes in hex.");
        }

        DtlsCipherSuite suite =
            (head.Get("X-DTLS12-CipherSuite") is { } cisco ? DtlsCipherSuite.Named(cisco, cisco: true) ?? throw Unknown("X-DTLS12-CipherSuite", cisco) : null)
            ?? (legacySuite is not null ? DtlsCipherSuite.Named(legacySuite, cisco: false) ?? throw Unknown("X-DTLS-CipherSuite", legacySuite) : null)
            ?? throw new FormatException("The gateway offers DTLS without X-DTLS-CipherSuite or X-DTLS12-CipherSuite.");
        return new DtlsConnectAnswer(sessionId, ReadPort(head), suite, Number(head, "X-DTLS-DPD") ?? 0, Number(head, "X-DTLS-Keepalive") ?? 0, Number(head, "X-DTLS-MTU"));
    }

    private static DtlsConnectAnswer PskAnswer(HttpResponseHead head, string? appId, string? suite, bool pskOffered)
    {
        if (suite != DtlsCipherSuite.PskNegotiate)
        {
            throw new FormatException($"The gateway sent X-DTLS-App-ID with X-DTLS-CipherSuite '{suite}' instead of {DtlsCipherSuite.PskNegotiate}.");
        }

        if (!pskOffered)
        {
            throw Unknown("X-DTLS-CipherSuite", suite);
        }

        if (appId is null)
        {
            throw new FormatException($"The gateway answers {DtlsCipherSuite.PskNegotiate} without X-DTLS-App-ID.");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(appId.Trim());
        }
        catch (FormatException)
        {
            bytes = [];
        }

        if (bytes.Length is 0 or > DtlsPskClient.MaxAppIdLength)
        {
            throw new FormatException($"X-DTLS-App-ID '{appId}' is not 1 to {DtlsPskClient.MaxAppIdLength} bytes in hex.");
        }

        return new DtlsConnectAnswer(null, ReadPort(head), null, Number(head, "X-DTLS-DPD") ?? 0, Number(head, "X-DTLS-Keepalive") ?? 0, Number(head, "X-DTLS-MTU")) { AppId = bytes };
    }

    private static int ReadPort(HttpResponseHead head)
    {
        int port = Number(head, "X-DTLS-Port") ?? throw new FormatException("The gateway offers DTLS without X-DTLS-Port.");
        return port is < 1 or > 65535 ? throw new FormatException($"X-DTLS-Port {port} is outside 1 to 65535.") : port;
    }

    private static FormatException Unknown(string header, string value) =>
        new($"{header} '{value}' is not a suite this client offered.");

    private static int? Number(HttpResponseHead head, string header) =>
        head.Get(header) is not { } value ? null
        : int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
        : throw new FormatException($"{header} '{value}' is not a whole number.");
}
