using OpenTunnel.Bench.Load.Sessions;

namespace OpenTunnel.Bench.Load.Tests.Sessions;

[Trait("Category", "Unit")]
public sealed class TunnelSessionTests
{
    [Fact]
    public void ConnectRequest_HasTheHeadersOpenConnectSendsWithoutDtls()
    {
        string request = TunnelSession.ConnectRequest("198.18.1.1", "abcd", 7);

        Assert.StartsWith("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nCookie: webvpn=abcd\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-CSTP-Version: 1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-CSTP-Hostname: bench7\r\n", request, StringComparison.Ordinal);
        Assert.DoesNotContain("X-DTLS-Master-Secret", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", request, StringComparison.Ordinal);
    }

    [Fact]
    public void PostRequest_WithCookiesAndToken_CarriesBothAndTheBodyLength()
    {
        string request = TunnelSession.PostRequest("198.18.1.1", "/auth", "<x>é</x>", "webvpncontext=1", "tok");

        Assert.StartsWith("POST /auth HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Aggregate-Auth: 1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nCookie: webvpncontext=1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nAuthorization: Bearer tok\r\n", request, StringComparison.Ordinal);
        // The length is in bytes: "é" takes two in UTF-8.
        Assert.Contains("\r\nContent-Length: 9\r\n\r\n<x>é</x>", request, StringComparison.Ordinal);
    }

    [Fact]
    public void PostRequest_WithoutCookiesOrToken_SendsNeitherHeader()
    {
        string request = TunnelSession.PostRequest("198.18.1.1", "/", "<x/>", null, null);

        Assert.DoesNotContain("Cookie:", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Authorization:", request, StringComparison.Ordinal);
    }
}
