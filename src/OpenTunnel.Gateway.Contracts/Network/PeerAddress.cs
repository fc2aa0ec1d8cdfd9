using System.Globalization;
using System.Net.Sockets;

namespace OpenTunnel.Gateway.Contracts.Network;

/// <summary>
/// Where clients reach one gateway server directly: "host:port", the host an IP address (IPv6 in
/// brackets) or a DNS name. It is the authority of the https:// URL a gateway redirects a new
/// sign-in to, so the management service and the gateway parse it with the same rules.
/// </summary>
public static class PeerAddress
{
    /// <summary>
    /// Parses "host:port". Returns null on success, else a message saying what is wrong, written
    /// to follow the setting's name.
    /// </summary>
    public static string? TryParse(string? text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return "is empty: give host:port, for example vpn1.example.com:443.";
        }

        string hostPart;
        string portPart;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return $"'{text}' is not host:port: an IPv6 address is written in brackets, then the port, for example [2001:db8::1]:443.";
            }

            hostPart = text[1..close];
            portPart = text[(close + 2)..];
            if (!NetworkSyntax.TryParseAddress(hostPart, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return $"'{text}': '{hostPart}' in brackets is not an IPv6 address.";
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return $"'{text}' is not host:port (an IPv6 address goes in brackets), for example vpn1.example.com:443.";
            }

            hostPart = text[..colon];
            portPart = text[(colon + 1)..];
            if (!NetworkSyntax.TryParseAddress(hostPart, out _) && !NetworkSyntax.IsDomainName(hostPart))
            {
                return $"'{text}': '{hostPart}' is neither an IP address nor a DNS name.";
            }
        }

        if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed is < 1 or > 65535)
        {
            return $"'{text}': the port '{portPart}' is not a number from 1 to 65535.";
        }

        host = hostPart;
        port = parsed;
        return null;
    }
}
