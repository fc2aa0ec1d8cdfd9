using System.Net;
using System.Text;
using OpenTunnel.Client.HostNetwork;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Client.Tests.HostNetwork;

[Trait("Category", "Unit")]
public sealed class TunnelLeaseTests
{
    // The shape of the gateway's (and ocserv's) CONNECT answer: IPv4 routes as net/mask, IPv6 as net/len.
    private const string Answer = "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Version: 1\r\nX-CSTP-DPD: 90\r\nX-CSTP-Address: 198.18.128.7\r\n"
        + "X-CSTP-Netmask: 255.255.255.0\r\nX-CSTP-Address-IP6: 2001:db8:128::7/64\r\nX-CSTP-DNS: 198.18.2.53\r\nX-CSTP-Default-Domain: corp.test\r\n"
        + "X-CSTP-Split-Include: 198.18.2.0/255.255.255.0\r\nX-CSTP-Split-Include-IP6: 2001:db8:2::/64\r\nX-CSTP-Split-Exclude: 198.18.2.128/25\r\n"
        + "X-CSTP-Keepalive: 20\r\nX-CSTP-Base-MTU: 1500\r\nX-CSTP-MTU: 1434";

    [Fact]
    public void FromConnectResponse_GatewayAnswer_ReadsEverything()
    {
        var lease = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(Answer)));

        Assert.Equal(IPAddress.Parse("198.18.128.7"), lease.IPv4Address);
        Assert.Equal(IPNetwork.Parse("198.18.128.0/24"), lease.IPv4Network);
        Assert.Equal((IPAddress.Parse("2001:db8:128::7"), 64), (lease.IPv6Address, lease.IPv6PrefixLength));
        Assert.Equal([IPAddress.Parse("198.18.2.53")], lease.DnsServers);
        Assert.Equal("corp.test", lease.DefaultDomain);
        Assert.Equal([IPNetwork.Parse("198.18.2.0/24"), IPNetwork.Parse("2001:db8:2::/64")], lease.SplitInclude);
        Assert.Equal([IPNetwork.Parse("198.18.2.128/25")], lease.SplitExclude);
        Assert.Equal((1434, 90, 20), (lease.Mtu, lease.DpdSeconds, lease.KeepaliveSeconds));
        Assert.Equal(["198.18.128.7", "2001:db8:128::7"], lease.Addresses);
    }

    [Theory]
    [InlineData("X-CSTP-MTU: 1400", "neither X-CSTP-Address")]
    [InlineData("X-CSTP-Address: 198.18.128.7", "no X-CSTP-MTU")]
    [InlineData("X-CSTP-Address: 198.18.128.7\r\nX-CSTP-MTU: 1400\r\nX-CSTP-Netmask: 255.0.255.0", "not a contiguous netmask")]
    [InlineData("X-CSTP-Address: 198.18.128.7\r\nX-CSTP-MTU: 1400\r\nX-CSTP-Split-Include: 198.18.2.0/33", "X-CSTP-Split-Include '198.18.2.0/33'")]
    [InlineData("X-CSTP-Address: nope\r\nX-CSTP-MTU: 1400", "X-CSTP-Address 'nope'")]
    public void FromConnectResponse_BadAnswer_NamesTheHeader(string headers, string expected)
    {
        var head = HttpResponseHead.Parse(Encoding.ASCII.GetBytes("HTTP/1.1 200 CONNECTED\r\n" + headers));

        var e = Assert.Throws<FormatException>(() => TunnelLease.FromConnectResponse(head));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangesFrom_SameAnswerAgain_IsEmpty()
    {
        var lease = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(Answer)));
        var again = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(Answer)));

        Assert.Empty(again.ChangesFrom(lease));
    }

    [Fact]
    public void ChangesFrom_IPv6PoolGoneAfterGatewayRestart_SaysTheAddressAndItsRoutesAreGone()
    {
        // A gateway restarted with the agent's site configuration, which has no IPv6 pool, where its file had one.
        var before = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(Answer)));
        string withoutIPv6 = string.Join("\r\n", Answer.Split("\r\n").Where(line => !line.Contains("IP6", StringComparison.Ordinal)));
        var after = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(withoutIPv6)));

        IReadOnlyList<string> changes = after.ChangesFrom(before);

        Assert.Equal(["IPv6 address 2001:db8:128::7/64 is gone", "split-includes were 198.18.2.0/24, 2001:db8:2::/64, now 198.18.2.0/24"], changes);
    }

    [Fact]
    public void ChangesFrom_OtherAddressDnsAndMtu_NamesEach()
    {
        var before = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(Answer)));
        string other = Answer.Replace("198.18.128.7", "198.18.128.9", StringComparison.Ordinal).Replace("X-CSTP-DNS: 198.18.2.53", "X-CSTP-DNS: 198.18.2.54", StringComparison.Ordinal)
            .Replace("X-CSTP-MTU: 1434", "X-CSTP-MTU: 1400", StringComparison.Ordinal);
        var after = TunnelLease.FromConnectResponse(HttpResponseHead.Parse(Encoding.ASCII.GetBytes(other)));

        Assert.Equal(["IPv4 address 198.18.128.7 is now 198.18.128.9", "DNS servers were 198.18.2.53, now 198.18.2.54", "MTU 1434 is now 1400"], after.ChangesFrom(before));
    }
}
