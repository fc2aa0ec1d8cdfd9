using System.Text;
using OpenTunnel.Protocol.Client;
using OpenTunnel.Protocol.Streams;

namespace OpenTunnel.Protocol.Tests.Client;

[Trait("Category", "Unit")]
public sealed class ClientSignInTests
{
    private const string Success = """<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="complete"><auth id="success"><message>ok</message></auth></config-auth>""";

    // The two steps of ocserv 1.1.6's password sign-in (worker-auth.c): user name, then password.
    private const string UserForm = """<config-auth client="vpn" type="auth-request"><auth id="main"><form method="post" action="/auth"><input type="text" name="username" label="Username:" /></form></auth></config-auth>""";
    private const string PasswordForm = """<config-auth client="vpn" type="auth-request"><auth id="passwd"><form method="post" action="/auth"><input type="password" name="password" label="Password:" /></form></auth></config-auth>""";

    [Fact]
    public void ConnectRequest_WithoutDtls_HasTheHeadersOpenConnectSends()
    {
        string request = ClientSignIn.ConnectRequest("198.18.1.1", "abcd", new ClientConnectOptions { Hostname = "bench7" });

        Assert.StartsWith("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nCookie: webvpn=abcd\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-CSTP-Version: 1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-CSTP-Hostname: bench7\r\n", request, StringComparison.Ordinal);
        Assert.DoesNotContain("X-DTLS-Master-Secret", request, StringComparison.Ordinal);
        Assert.DoesNotContain("X-CSTP-Address:", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", request, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectRequest_Reconnect_AsksForThePreviousAddresses()
    {
        string request = ClientSignIn.ConnectRequest("gw", "c", new ClientConnectOptions { Hostname = "h", PreviousAddresses = ["198.18.128.2", "2001:db8:128::2"] });

        Assert.Contains("\r\nX-CSTP-Address: 198.18.128.2\r\nX-CSTP-Address: 2001:db8:128::2\r\n", request, StringComparison.Ordinal);
    }

    [Fact]
    public void PostRequest_WithCookiesAndToken_CarriesBothAndTheBodyLength()
    {
        string request = ClientSignIn.PostRequest("198.18.1.1", "/auth", "<x>é</x>", "webvpncontext=1", "tok");

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
        string request = ClientSignIn.PostRequest("198.18.1.1", "/", "<x/>", null, null);

        Assert.DoesNotContain("Cookie:", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Authorization:", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_BearerChallenge_RepeatsWithTheTokenAndReturnsTheCookie()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        var requests = new List<string>();
        Task serving = ServeAsync(server, requests,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n",
            Ok(Success, "webvpn=cookie123; Secure; HttpOnly"));
        using var exchange = new HttpExchange(client);

        string cookie = await ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials("the-token"), CancellationToken.None);

        await serving;
        Assert.Equal("cookie123", cookie);
        Assert.DoesNotContain("Authorization:", requests[0], StringComparison.Ordinal);
        Assert.Contains("\r\nAuthorization: Bearer the-token\r\n", requests[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_PasswordForms_AnswersUserThenPasswordAndKeepsTheContextCookie()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        var requests = new List<string>();
        Task serving = ServeAsync(server, requests,
            Ok(UserForm, "webvpncontext=ctx1"),
            Ok(PasswordForm, null),
            Ok(Success, "webvpn=final"));
        using var exchange = new HttpExchange(client);

        string cookie = await ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials(null, "alice", "secret"), CancellationToken.None);

        await serving;
        Assert.Equal("final", cookie);
        Assert.Contains("<username>alice</username>", requests[1], StringComparison.Ordinal);
        Assert.Contains("\r\nCookie: webvpncontext=ctx1\r\n", requests[2], StringComparison.Ordinal);
        Assert.Contains("<password>secret</password>", requests[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_PasswordFormWithoutAUser_FailsNamingTheField()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        Task serving = ServeAsync(server, [], Ok(UserForm, null));
        using var exchange = new HttpExchange(client);

        var e = await Assert.ThrowsAsync<SignInException>(() => ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials("tok"), CancellationToken.None));

        await serving;
        Assert.Contains("'username'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_RedirectToAnotherServer_ThrowsWithTheLocation_AndStartsAtTheGivenPath()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        var requests = new List<string>();
        Task serving = ServeAsync(server, requests, "HTTP/1.1 302 Found\r\nLocation: https://198.18.1.1:4444/?ot-redirected=1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        using var exchange = new HttpExchange(client);

        var e = await Assert.ThrowsAsync<SignInRedirectException>(() => ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials("tok"), CancellationToken.None, "/group"));

        await serving;
        Assert.Equal(new Uri("https://198.18.1.1:4444/?ot-redirected=1"), e.Location);
        Assert.StartsWith("POST /group HTTP/1.1\r\n", requests[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_RedirectToPlainHttp_Refused()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        Task serving = ServeAsync(server, [], "HTTP/1.1 302 Found\r\nLocation: http://198.18.1.1/\r\nContent-Length: 0\r\n\r\n");
        using var exchange = new HttpExchange(client);

        var e = await Assert.ThrowsAsync<SignInException>(() => ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials("tok"), CancellationToken.None));

        await serving;
        Assert.Contains("HTTP 302 to 'http://198.18.1.1/', which is not an absolute https:// URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_TokenRefused_SaysSoWithTheReason()
    {
        var (client, server) = InMemoryDuplexStream.CreatePair();
        const string challenge = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n";
        Task serving = ServeAsync(server, [], challenge, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nX-Reason: token expired\r\nContent-Length: 0\r\n\r\n");
        using var exchange = new HttpExchange(client);

        var e = await Assert.ThrowsAsync<SignInException>(() => ClientSignIn.SignInAsync(exchange, "gw", 443, new SignInCredentials("old"), CancellationToken.None));

        await serving;
        Assert.Contains("the token was refused (token expired)", e.Message, StringComparison.Ordinal);
    }

    private static string Ok(string body, string? setCookie) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n{(setCookie is null ? string.Empty : "Set-Cookie: " + setCookie + "\r\n")}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    /// <summary>Reads one request (head and Content-Length body) per answer and sends the answer.</summary>
    private static async Task ServeAsync(Stream server, List<string> requests, params string[] answers)
    {
        foreach (string answer in answers)
        {
            var received = new StringBuilder();
            var one = new byte[1];
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                await server.ReadExactlyAsync(one);
                received.Append((char)one[0]);
            }

            var length = System.Text.RegularExpressions.Regex.Match(received.ToString(), "Content-Length: ([0-9]+)");
            var body = new byte[length.Success ? int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0];
            await server.ReadExactlyAsync(body);
            requests.Add(received + Encoding.UTF8.GetString(body));
            await server.WriteAsync(Encoding.UTF8.GetBytes(answer));
        }
    }
}
