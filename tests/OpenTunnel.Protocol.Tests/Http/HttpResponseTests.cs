using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tests.Http;

[Trait("Category", "Unit")]
public sealed class HttpResponseTests
{
    [Fact]
    public void ToString_BearerChallenge_HasZeroContentLength()
    {
        string text = new HttpResponse(401, "Unauthorized").Header("WWW-Authenticate", "Bearer").ToString();

        Assert.Equal("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n", text);
    }

    [Fact]
    public void ToString_Tunnel_HasNoContentLength()
    {
        string text = new HttpResponse(200, "CONNECTED").AsTunnel().Header("X-CSTP-MTU", "1400").ToString();

        Assert.StartsWith("HTTP/1.1 200 CONNECTED\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_ValueWithLineBreak_Throws()
    {
        Assert.Throws<ArgumentException>(() => new HttpResponse(200, "OK").Header("X-Reason", "a\r\nSet-Cookie: x=1"));
    }
}
