using System.Globalization;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// The DTLS part of a CONNECT answer, as the client reads it (openconnect cstp.c
/// <c>start_cstp_connection</c>): the session id to resume, the UDP port, the suite, and the DTLS
/// link's DPD, keepalive and MTU. The gateway writes the same headers with
/// <see cref="DtlsConnectHeaders.Build"/>.
/// </summary>
/// <param name="SessionId">X-DTLS-Session-ID: the id the ClientHello resumes.</param>
/// <param name="Port">X-DTLS-Port: the UDP port at the address the TLS connection reached.</param>
/// <param name="Suite">The suite of X-DTLS12-CipherSuite or X-DTLS-CipherSuite.</param>
/// <param name="DpdSeconds">X-DTLS-DPD (0 when absent: no probes over DTLS).</param>
/// <param name="KeepaliveSeconds">X-DTLS-Keepalive (0 when absent).</param>
/// <param name="Mtu">X-DTLS-MTU, or null when absent.</param>
public sealed record DtlsConnectAnswer(DtlsSessionId SessionId, int Port, DtlsCipherSuite Suite, int DpdSeconds, int KeepaliveSeconds, int? Mtu)
{
    /// <summary>
    /// Reads the DTLS headers of a CONNECT answer; null when the gateway offers no DTLS (no
    /// X-DTLS-Session-ID: the tunnel stays on TLS). Throws <see cref="FormatException"/> naming the
    /// header when the gateway offers DTLS with a value this client cannot use, as openconnect
    /// fails the CONNECT for a session id of another length.
    /// </summary>
    public static DtlsConnectAnswer? FromConnectResponse(HttpResponseHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Get("X-DTLS-Session-ID") is not { } id)
        {
            return null;
        }

        if (!DtlsSessionId.TryParseHex(id.Trim(), out var sessionId))
        {
            throw new FormatException($"X-DTLS-Session-ID '{id}' is not {DtlsSessionId.Length} bytes in hex.");
        }

        int port = Number(head, "X-DTLS-Port") ?? throw new FormatException("The gateway offers DTLS without X-DTLS-Port.");
        if (port is < 1 or > 65535)
        {
            throw new FormatException($"X-DTLS-Port {port} is outside 1 to 65535.");
        }

        DtlsCipherSuite suite =
            (head.Get("X-DTLS12-CipherSuite") is { } cisco ? DtlsCipherSuite.Named(cisco, cisco: true) ?? throw Unknown("X-DTLS12-CipherSuite", cisco) : null)
            ?? (head.Get("X-DTLS-CipherSuite") is { } legacy ? DtlsCipherSuite.Named(legacy, cisco: false) ?? throw Unknown("X-DTLS-CipherSuite", legacy) : null)
            ?? throw new FormatException("The gateway offers DTLS without X-DTLS-CipherSuite or X-DTLS12-CipherSuite.");
        return new DtlsConnectAnswer(sessionId, port, suite, Number(head, "X-DTLS-DPD") ?? 0, Number(head, "X-DTLS-Keepalive") ?? 0, Number(head, "X-DTLS-MTU"));
    }

    private static FormatException Unknown(string header, string value) =>
        new($"{header} '{value}' is not a suite this client offered.");

    private static int? Number(HttpResponseHead head, string header) =>
        head.Get(header) is not { } value ? null
        : int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
        : throw new FormatException($"{header} '{value}' is not a whole number.");
}
