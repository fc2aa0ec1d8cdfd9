using System.Text;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tests.Http;

[Trait("Category", "Unit")]
public sealed class CookieJarTests
{
    [Fact]
    public void Update_ContextThenSessionCookie_SendsBothBack()
    {
        var jar = new CookieJar();

        jar.Update(Head("Set-Cookie: webvpncontext=abc; Secure"));
        jar.Update(Head("Set-Cookie: webvpn=0123;Max-Age=300", "Set-Cookie: webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/"));

        Assert.Equal("0123", jar.SessionCookie);
        Assert.Equal("webvpncontext=abc; webvpn=0123", jar.ToHeaderValue());
    }

    [Fact]
    public void Update_EmptyValue_DeletesTheCookie()
    {
        var jar = new CookieJar();
        jar.Update(Head("Set-Cookie: webvpncontext=abc"));

        jar.Update(Head("Set-Cookie: webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT"));

        Assert.Equal(0, jar.Count);
        Assert.Null(jar.ToHeaderValue());
    }

    [Fact]
    public void Update_SetCookieWithoutEquals_Throws()
    {
        var jar = new CookieJar();

        var e = Assert.Throws<FormatException>(() => jar.Update(Head("Set-Cookie: webvpn")));

        Assert.Contains("webvpn", e.Message, StringComparison.Ordinal);
    }

    private static HttpResponseHead Head(params string[] headers) =>
        HttpResponseHead.Parse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n" + string.Join("\r\n", headers)));
}
