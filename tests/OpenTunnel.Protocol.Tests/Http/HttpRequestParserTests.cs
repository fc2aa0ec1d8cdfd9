using System.Text;
using OpenTunnel.Protocol.Http;

namespace OpenTunnel.Protocol.Tests.Http;

[Trait("Category", "Unit")]
public sealed class HttpRequestParserTests
{
    [Fact]
    public void TryParse_OpenConnectConnect_ReadsHeadersAndCookie()
    {
        byte[] request = Encoding.ASCII.GetBytes(
            "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: 198.18.1.1\r\nCookie: webvpn=abc123; other=1\r\nX-CSTP-Version: 1\r\n\r\nSTF");

        var status = HttpRequestParser.TryParse(request, out var head, out int length, out _);

        Assert.Equal(HttpParseStatus.Complete, status);
        Assert.Equal("CONNECT", head!.Method);
        Assert.Equal("/CSCOSSLC/tunnel", head.Path);
        Assert.Equal("1", head["x-cstp-version"]);
        Assert.Equal("abc123", head.GetCookie("webvpn"));
        Assert.Equal(request.Length - 3, length);
    }

    [Fact]
    public void TryParse_HeadWithoutBlankLine_IsIncomplete()
    {
        byte[] request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n");

        Assert.Equal(HttpParseStatus.Incomplete, HttpRequestParser.TryParse(request, out _, out _, out _));
    }

    [Fact]
    public void TryParse_ContentLength_IsRead()
    {
        byte[] request = Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n");

        HttpRequestParser.TryParse(request, out var head, out _, out _);

        Assert.Equal(42, head!.ContentLength);
    }

    [Theory]
    [InlineData("GET /\r\n\r\n", "malformed request line")]
    [InlineData("GET / HTTP/1.1\r\nNoColon\r\n\r\n", "malformed header line 1")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "Content-Length")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", "Content-Length")]
    [InlineData("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding")]
    public void TryParse_BadRequest_IsInvalidWithReason(string text, string expected)
    {
        var status = HttpRequestParser.TryParse(Encoding.ASCII.GetBytes(text), out _, out _, out string? error);

        Assert.Equal(HttpParseStatus.Invalid, status);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_HeadLongerThanLimit_IsInvalid()
    {
        byte[] request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Long: " + new string('a', HttpRequestParser.MaxHeadLength) + "\r\n");

        var status = HttpRequestParser.TryParse(request, out _, out _, out string? error);

        Assert.Equal(HttpParseStatus.Invalid, status);
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_BearerTokenOfEightKilobytes_IsAccepted()
    {
        string token = new('t', 8192);
        byte[] request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n");

        HttpRequestParser.TryParse(request, out var head, out _, out _);

        Assert.Equal("Bearer " + token, head!["Authorization"]);
    }
}
