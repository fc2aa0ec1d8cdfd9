using System.Text;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tests.Http;

[Trait("Category", "Unit")]
public sealed class HttpResponseHeadTests
{
    [Fact]
    public void Parse_OcservConnectResponse_ReadsStatusAndHeaders()
    {
        string head = "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Version: 1\r\nX-CSTP-Address: 198.18.128.7\r\nX-CSTP-DPD: 90\r\nx-cstp-keepalive: 32400";

        var parsed = HttpResponseHead.Parse(Encoding.ASCII.GetBytes(head));

        Assert.Equal(200, parsed.StatusCode);
        Assert.Equal("HTTP/1.1 200 CONNECTED", parsed.StatusLine);
        Assert.Equal("198.18.128.7", parsed.Get("X-CSTP-Address"));
        Assert.Equal("32400", parsed.Get("X-CSTP-Keepalive"));
        Assert.Null(parsed.Get("X-CSTP-MTU"));
    }

    [Fact]
    public void GetAll_SeveralSetCookies_ReturnsEachInOrder()
    {
        var parsed = HttpResponseHead.Parse("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 12\r\nSet-Cookie: b=2"u8);

        Assert.Equal(["a=1", "b=2"], parsed.GetAll("set-cookie"));
        Assert.Equal(12, parsed.ContentLength);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2")]
    [InlineData("HTTP/1.1 2x0 OK")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here")]
    public void Parse_NotHttp_ThrowsFormatExceptionNamingTheLine(string head)
    {
        var e = Assert.Throws<FormatException>(() => HttpResponseHead.Parse(Encoding.ASCII.GetBytes(head)));

        Assert.Contains(head.Split("\r\n")[^1][..5], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContentLength_Missing_IsZero()
    {
        Assert.Equal(0, HttpResponseHead.Parse("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer"u8).ContentLength);
    }
}
