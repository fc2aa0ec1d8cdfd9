using System.Globalization;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>The <c>X-DTLS-*</c> headers of a CONNECT answer that offers DTLS.</summary>
public static class DtlsConnectHeaders
{
    /// <summary>
    /// The DTLS headers of a CONNECT answer, as ocserv sends them in master-secret mode
    /// (worker-vpn.c, <c>connect_handler</c>): session id (exactly 64 hex digits, or openconnect
    /// fails the CONNECT), port, DPD, keepalive, the suite in the header it was offered in, and the
    /// data MTU.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Build(DtlsSessionId sessionId, int port, DtlsCipherSuite suite, TunnelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(parameters);
        return
        [
            new("X-DTLS-Session-ID", sessionId.ToHex()),
            new("X-DTLS-Port", Number(port)),
            new("X-DTLS-DPD", Number(parameters.DpdSeconds)),
            new("X-DTLS-Keepalive", Number(parameters.KeepaliveSeconds)),
            new(suite.HeaderName, suite.Name),
            new("X-DTLS-MTU", Number(parameters.DataMtu)),
        ];
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
