using System.Text;
using OpenTunnel.Protocol.Http;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Protocol.Tests.Tunnel;

[Trait("Category", "Unit")]
public sealed class ConnectRequestTests
{
    private static readonly string Secret = new('a', 96);

    [Fact]
    public void FromHead_OpenConnectReconnect_ReadsEverything()
    {
        var request = ConnectRequest.FromHead(Parse(
            "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nCookie: webvpn=c00k1e\r\nX-CSTP-Hostname: laptop\r\nX-CSTP-Base-MTU: 1500\r\nX-CSTP-MTU: 1406\r\n"
            + "X-CSTP-Address-Type: IPv6,IPv4\r\nX-CSTP-Address: 198.18.128.7\r\nX-DTLS-Master-Secret: " + Secret + "\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM\r\nX-DTLS12-CipherSuite: AES256-GCM-SHA384\r\n\r\n"));

        Assert.Equal("c00k1e", request.Cookie);
        Assert.Equal("laptop", request.Hostname);
        Assert.Equal(1500, request.BaseMtu);
        Assert.Equal(1406, request.Mtu);
        Assert.True(request.WantsIPv4);
        Assert.True(request.WantsIPv6);
        Assert.Equal(["198.18.128.7"], request.PreviousAddresses);
        Assert.Equal(Secret, request.DtlsMasterSecret);
        Assert.Equal("PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM", request.DtlsCipherSuites);
        Assert.Equal("AES256-GCM-SHA384", request.Dtls12CipherSuites);
        Assert.Contains(request.Headers, h => h.Key == "X-DTLS-CipherSuite" && h.Value == "PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM");
    }

    [Fact]
    public void FromHead_ShortOrNonHexMasterSecret_IsIgnored()
    {
        var shortSecret = ConnectRequest.FromHead(Parse("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nX-DTLS-Master-Secret: abcd\r\n\r\n"));
        var notHex = ConnectRequest.FromHead(Parse("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nX-DTLS-Master-Secret: " + new string('z', 96) + "\r\n\r\n"));

        Assert.Null(shortSecret.DtlsMasterSecret);
        Assert.Null(notHex.DtlsMasterSecret);
    }

    [Fact]
    public void FromHead_NoAddressType_WantsIPv4Only()
    {
        var request = ConnectRequest.FromHead(Parse("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nX-CSTP-Base-MTU: lots\r\n\r\n"));

        Assert.True(request.WantsIPv4);
        Assert.False(request.WantsIPv6);
        Assert.Null(request.BaseMtu);
        Assert.Null(request.Cookie);
        Assert.Null(request.DtlsCipherSuites);
        Assert.Null(request.Dtls12CipherSuites);
    }

    private static HttpRequestHead Parse(string text)
    {
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(Encoding.ASCII.GetBytes(text), out var head, out _, out _));
        return head!;
    }
}
