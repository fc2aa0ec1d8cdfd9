using System.Globalization;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tunnel;

/// <summary>
/// What a client asks for in <c>CONNECT /CSCOSSLC/tunnel</c> (openconnect cstp.c
/// <c>start_cstp_connection</c>): its session cookie, host name, MTUs, the address families it
/// wants, the addresses it had before a reconnect and, for DTLS, its master secret. The whole
/// header list is kept so the DTLS side can read what it needs.
/// </summary>
public sealed record ConnectRequest
{
    /// <summary>The path openconnect and AnyConnect use for the tunnel.</summary>
    public const string TunnelPath = "/CSCOSSLC/tunnel";

    /// <summary>The cookie name the sign-in sets (Set-Cookie: webvpn=...).</summary>
    public const string CookieName = "webvpn";

    public string? Cookie { get; init; }

    public string? Hostname { get; init; }

    /// <summary>X-CSTP-Base-MTU: the client's link MTU, when it sent a number.</summary>
    public int? BaseMtu { get; init; }

    /// <summary>X-CSTP-MTU: the tunnel MTU the client would like, when it sent a number.</summary>
    public int? Mtu { get; init; }

    /// <summary>X-CSTP-Address-Type lists IPv4 (true also when the header is absent, as in old clients).</summary>
    public bool WantsIPv4 { get; init; } = true;

    /// <summary>X-CSTP-Address-Type lists IPv6.</summary>
    public bool WantsIPv6 { get; init; }

    /// <summary>The X-CSTP-Address values a reconnecting client sent (the addresses it had).</summary>
    public IReadOnlyList<string> PreviousAddresses { get; init; } = [];

    /// <summary>X-DTLS-Master-Secret when it is the 96 hexadecimal digits of a 48-byte secret, else null.</summary>
    public string? DtlsMasterSecret { get; init; }

    /// <summary>X-DTLS-CipherSuite: the DTLS suites the client offers, colon-separated (openconnect cstp.c).</summary>
    public string? DtlsCipherSuites { get; init; }

    /// <summary>X-DTLS12-CipherSuite: the Cisco-named DTLS 1.2 suites the client offers, colon-separated.</summary>
    public string? Dtls12CipherSuites { get; init; }

    /// <summary>Every header of the CONNECT request, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public static ConnectRequest FromHead(HttpRequestHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        string? addressType = head["X-CSTP-Address-Type"];
        var previous = new List<string>();
        foreach (var header in head.Headers)
        {
            if (string.Equals(header.Key, "X-CSTP-Address", StringComparison.OrdinalIgnoreCase) && header.Value.Length > 0)
            {
                previous.Add(header.Value);
            }
        }

        string? secret = head["X-DTLS-Master-Secret"];
        return new ConnectRequest
        {
            Cookie = head.GetCookie(CookieName),
            Hostname = head["X-CSTP-Hostname"],
            BaseMtu = ParseInt(head["X-CSTP-Base-MTU"]),
            Mtu = ParseInt(head["X-CSTP-MTU"]),
            WantsIPv4 = addressType is null || addressType.Contains("IPv4", StringComparison.OrdinalIgnoreCase),
            WantsIPv6 = addressType is not null && addressType.Contains("IPv6", StringComparison.OrdinalIgnoreCase),
            PreviousAddresses = previous,
            DtlsMasterSecret = secret is { Length: 96 } && IsHex(secret) ? secret : null,
            DtlsCipherSuites = head["X-DTLS-CipherSuite"],
            Dtls12CipherSuites = head["X-DTLS12-CipherSuite"],
            Headers = head.Headers,
        };
    }

    private static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    private static bool IsHex(string value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
