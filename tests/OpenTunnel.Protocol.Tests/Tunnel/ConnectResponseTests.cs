using System.Net;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Protocol.Tests.Tunnel;

[Trait("Category", "Unit")]
public sealed class ConnectResponseTests
{
    private static TunnelParameters Parameters() => new()
    {
        IPv4Address = IPAddress.Parse("198.18.128.2"),
        IPv4PrefixLength = 24,
        DnsServers = [IPAddress.Parse("198.18.2.53"), IPAddress.Parse("2001:db8:2::53"), IPAddress.Parse("198.18.2.54"), IPAddress.Parse("198.18.2.55")],
        DefaultDomain = "corp.example",
        SplitDns = ["corp.example", "lab.example"],
        SplitInclude = [IPNetwork.Parse("198.18.2.0/24"), IPNetwork.Parse("2001:db8:2::/64")],
        SplitExclude = [IPNetwork.Parse("198.18.2.128/25")],
        LinkMtu = 1500,
        DataMtu = 1434,
        KeepaliveSeconds = 30,
        DpdSeconds = 90,
        IdleTimeoutSeconds = 1200,
        Banner = "Hello\nworld",
    };

    [Fact]
    public void Build_StatusLine_IsWhatOpenConnectChecks()
    {
        string text = ConnectResponse.Build(Parameters()).ToString();

        Assert.StartsWith("HTTP/1.1 200 CONNECTED\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Encoding", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Parameters_BecomeCstpHeaders()
    {
        var headers = ConnectResponse.Build(Parameters()).Headers;

        Assert.Contains(new("X-CSTP-Address", "198.18.128.2"), headers);
        Assert.Contains(new("X-CSTP-Netmask", "255.255.255.0"), headers);
        Assert.Contains(new("X-CSTP-Default-Domain", "corp.example"), headers);
        Assert.Contains(new("X-CSTP-Split-DNS", "lab.example"), headers);
        Assert.Contains(new("X-CSTP-Split-Include", "198.18.2.0/255.255.255.0"), headers);
        Assert.Contains(new("X-CSTP-Split-Exclude", "198.18.2.128/255.255.255.128"), headers);
        Assert.Contains(new("X-CSTP-Base-MTU", "1500"), headers);
        Assert.Contains(new("X-CSTP-MTU", "1434"), headers);
        Assert.Contains(new("X-CSTP-DPD", "90"), headers);
        Assert.Contains(new("X-CSTP-Keepalive", "30"), headers);
        Assert.Contains(new("X-CSTP-Idle-Timeout", "1200"), headers);
        Assert.Contains(new("X-CSTP-Banner", "Hello world"), headers);
        Assert.DoesNotContain(headers, h => h.Key == "X-CSTP-Session-Timeout");
    }

    [Fact]
    public void Build_FourDnsServers_SendsOnlyThree()
    {
        var headers = ConnectResponse.Build(Parameters()).Headers;

        Assert.Equal(3, headers.Count(h => h.Key.StartsWith("X-CSTP-DNS", StringComparison.Ordinal)));
        Assert.Contains(new("X-CSTP-DNS-IP6", "2001:db8:2::53"), headers);
        Assert.DoesNotContain(new("X-CSTP-DNS", "198.18.2.55"), headers);
    }

    [Fact]
    public void Build_IPv6RouteWithoutIPv6Address_IsLeftOut()
    {
        var headers = ConnectResponse.Build(Parameters()).Headers;

        Assert.DoesNotContain(headers, h => h.Key == "X-CSTP-Split-Include-IP6");
    }

    [Fact]
    public void Build_IPv6Address_SendsAddressAndIPv6Routes()
    {
        var parameters = Parameters() with { IPv6Address = IPAddress.Parse("2001:db8:128::2"), IPv6PrefixLength = 64 };

        var headers = ConnectResponse.Build(parameters).Headers;

        Assert.Contains(new("X-CSTP-Address-IP6", "2001:db8:128::2/64"), headers);
        Assert.Contains(new("X-CSTP-Split-Include-IP6", "2001:db8:2::/64"), headers);
    }

    [Fact]
    public void Build_ExtraHeaders_AreAddedBeforeTheMtu()
    {
        var headers = ConnectResponse.Build(Parameters(), [new("X-DTLS-Port", "443")]).Headers.ToList();

        int dtls = headers.FindIndex(h => h.Key == "X-DTLS-Port");
        Assert.True(dtls >= 0);
        Assert.True(dtls < headers.FindIndex(h => h.Key == "X-CSTP-MTU"));
    }

    [Theory]
    [InlineData(0, "0.0.0.0")]
    [InlineData(8, "255.0.0.0")]
    [InlineData(23, "255.255.254.0")]
    [InlineData(30, "255.255.255.252")]
    [InlineData(32, "255.255.255.255")]
    public void Netmask_PrefixLength_IsDottedQuad(int prefix, string expected)
    {
        Assert.Equal(expected, ConnectResponse.Netmask(prefix));
    }
}
