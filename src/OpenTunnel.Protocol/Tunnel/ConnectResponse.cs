using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tunnel;

/// <summary>
/// Builds the answer to CONNECT: <c>HTTP/1.1 200 CONNECTED</c> with the X-CSTP headers that
/// openconnect cstp.c <c>start_cstp_connection</c> reads, in the order ocserv worker-vpn.c
/// sends them. No X-CSTP-Content-Encoding is sent: an unknown one fails the CONNECT and this
/// gateway does not compress. A DTLS channel adds its own headers through <c>extraHeaders</c>.
/// </summary>
public static class ConnectResponse
{
    /// <summary>openconnect keeps at most three DNS servers.</summary>
    public const int MaxDnsServers = 3;

    public static HttpResponse Build(TunnelParameters parameters, IEnumerable<KeyValuePair<string, string>>? extraHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var response = new HttpResponse(200, "CONNECTED").AsTunnel();
        response.Header("X-CSTP-Version", "1");
        response.Header("X-CSTP-Server-Name", "OpenTunnel");
        response.Header("X-CSTP-DPD", Number(parameters.DpdSeconds));
        response.Header("X-CSTP-Address", parameters.IPv4Address.ToString());
        response.Header("X-CSTP-Netmask", Netmask(parameters.IPv4PrefixLength));
        if (parameters.IPv6Address is not null)
        {
            response.Header("X-CSTP-Address-IP6", $"{parameters.IPv6Address}/{Number(parameters.IPv6PrefixLength)}");
        }

        int dns = 0;
        foreach (var server in parameters.DnsServers)
        {
            if (dns++ == MaxDnsServers)
            {
                break;
            }

            response.Header(server.AddressFamily == AddressFamily.InterNetworkV6 ? "X-CSTP-DNS-IP6" : "X-CSTP-DNS", server.ToString());
        }

        if (!string.IsNullOrEmpty(parameters.DefaultDomain))
        {
            response.Header("X-CSTP-Default-Domain", parameters.DefaultDomain);
        }

        foreach (string domain in parameters.SplitDns)
        {
            response.Header("X-CSTP-Split-DNS", domain);
        }

        foreach (var network in parameters.SplitInclude)
        {
            AddRoute(response, "X-CSTP-Split-Include", network, parameters.IPv6Address is not null);
        }

        foreach (var network in parameters.SplitExclude)
        {
            AddRoute(response, "X-CSTP-Split-Exclude", network, parameters.IPv6Address is not null);
        }

        response.Header("X-CSTP-Keepalive", Number(parameters.KeepaliveSeconds));
        if (parameters.IdleTimeoutSeconds > 0)
        {
            response.Header("X-CSTP-Idle-Timeout", Number(parameters.IdleTimeoutSeconds));
        }

        if (parameters.SessionTimeoutSeconds > 0)
        {
            response.Header("X-CSTP-Session-Timeout", Number(parameters.SessionTimeoutSeconds));
        }

        response.Header("X-CSTP-Keep", "true");
        response.Header("X-CSTP-License", "accept");
        if (extraHeaders is not null)
        {
            foreach (var header in extraHeaders)
            {
                response.Header(header.Key, header.Value);
            }
        }

        response.Header("X-CSTP-Base-MTU", Number(parameters.LinkMtu));
        response.Header("X-CSTP-MTU", Number(parameters.DataMtu));
        if (!string.IsNullOrEmpty(parameters.Banner))
        {
            // One header line: line breaks in the configured banner become spaces.
            response.Header("X-CSTP-Banner", parameters.Banner.ReplaceLineEndings(" "));
        }

        return response;
    }

    /// <summary>The dotted-quad netmask of an IPv4 prefix length (X-CSTP-Netmask wants this form).</summary>
    public static string Netmask(int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        uint mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        return new IPAddress([(byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask]).ToString();
    }

    private static void AddRoute(HttpResponse response, string name, IPNetwork network, bool ipv6Enabled)
    {
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // An IPv6 route is useless to a client that got no IPv6 address.
            if (ipv6Enabled)
            {
                response.Header(name + "-IP6", network.ToString());
            }

            return;
        }

        // IPv4 routes as net/mask, the form ocserv sends and the vpnc-script splits into
        // CISCO_SPLIT_INC_n_ADDR / _MASK / _MASKLEN.
        response.Header(name, $"{network.BaseAddress}/{Netmask(network.PrefixLength)}");
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
