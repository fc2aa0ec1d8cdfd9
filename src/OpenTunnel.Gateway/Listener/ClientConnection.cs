using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Tunnel;
using OpenTunnel.Protocol.Auth;
using OpenTunnel.Protocol.Http;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Listener;

/// <summary>
/// One client TCP connection: the TLS handshake, then the HTTP requests of the sign-in (as
/// ocserv worker-http.c and worker-auth.c answer them), then, after a successful CONNECT, the
/// CSTP tunnel on the same stream.
/// </summary>
internal sealed class ClientConnection
{
    /// <summary>The path that offers the auth form with a password field for the token, for clients that cannot answer a Bearer challenge.</summary>
    public const string TokenFormPath = "/token";

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private const string HealthPage = "<!DOCTYPE html>\n<html><head><title>OpenTunnel gateway</title></head><body><p>OpenTunnel gateway: up.</p></body></html>\n";

    private readonly GatewayServer _server;
    private readonly Socket _socket;
    private readonly IPEndPoint _client;
    private readonly ILogger _logger;

    public ClientConnection(GatewayServer server, Socket socket, ILogger logger)
    {
        _server = server;
        _socket = socket;
        _client = (IPEndPoint)socket.RemoteEndPoint!;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        _socket.NoDelay = true;
        var transport = new CoalescingStream(new NetworkStream(_socket, ownsSocket: true));
        await using var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        if (!await HandshakeAsync(ssl, stopping))
        {
            return;
        }

        using var reader = new ConnectionReader(ssl);
        while (!stopping.IsCancellationRequested)
        {
            (HttpRequestHead Head, byte[] Body)? request;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(RequestTimeout);
                request = await reader.ReadRequestAsync(timeout.Token);
            }
            catch (InvalidDataException e)
            {
                GatewayLog.BadRequest(_logger, _client, e.Message);
                await WriteAsync(ssl, new HttpResponse(400, "Bad Request").Header("Connection", "close"), stopping);
                return;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or AuthenticationException)
            {
                return;
            }

            if (request is null)
            {
                return;
            }

            var (head, body) = request.Value;

            if (head.Method == "CONNECT")
            {
                await TunnelAsync(ssl, transport, reader, head, stopping);
                return;
            }

            var response = await AnswerAsync(head, body, stopping);
            await WriteAsync(ssl, response, stopping);
            if (string.Equals(head["Connection"], "close", StringComparison.OrdinalIgnoreCase) || head.Version == "HTTP/1.0")
            {
                return;
            }
        }
    }

    private async Task<bool> HandshakeAsync(SslStream ssl, CancellationToken stopping)
    {
        var configuration = _server.Current;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = configuration.Certificate.Context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        long started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(HandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
            _server.Metrics.HandshakeCompleted(Stopwatch.GetElapsedTime(started));
            return true;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            GatewayLog.HandshakeFailed(_logger, _client, e.Message);
            return false;
        }
    }

    /// <summary>Answers a request of the sign-in exchange or a health probe.</summary>
    private async Task<HttpResponse> AnswerAsync(HttpRequestHead head, byte[] body, CancellationToken stopping)
    {
        string? authorization = head["Authorization"];
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return await SignInAsync(authorization["Bearer ".Length..].Trim(), stopping);
        }

        if (head.Method == "POST")
        {
            if (!AuthXml.TryParseClientMessage(Encoding.UTF8.GetString(body), out var message, out string? error))
            {
                GatewayLog.BadRequest(_logger, _client, "auth XML: " + error);
                return new HttpResponse(400, "Bad Request");
            }

            switch (message!.Type)
            {
                case ClientAuthMessage.ReplyType when message.Fields.TryGetValue(AuthXml.PasswordField, out string? token) && token.Length > 0:
                    return await SignInAsync(token.Trim(), stopping);
                case ClientAuthMessage.LogoutType:
                    return await LogoutAsync(head);
                case ClientAuthMessage.InitType or ClientAuthMessage.ReplyType when head.Path == TokenFormPath:
                    return new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
                        AuthXml.BuildTokenForm(TokenFormPath, "Paste your access token.", _server.Current.Options.Banner));
                default:
                    return BearerChallenge();
            }
        }

        if (head.Method == "GET")
        {
            if (IsOpenConnectClient(head))
            {
                return head.Path == TokenFormPath
                    ? new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
                        AuthXml.BuildTokenForm(TokenFormPath, "Paste your access token.", _server.Current.Options.Banner))
                    : BearerChallenge();
            }

            if (head.Path == "/")
            {
                // A load balancer's health probe.
                return new HttpResponse(200, "OK").Content("text/html; charset=utf-8", HealthPage);
            }
        }

        return new HttpResponse(404, "Not Found");
    }

    /// <summary>
    /// ocserv tells a VPN client from a browser or a probe by these headers (worker-http.c): the
    /// AnyConnect aggregate-auth headers, or openconnect's "Open AnyConnect" user agent.
    /// </summary>
    private static bool IsOpenConnectClient(HttpRequestHead head) =>
        head["X-Aggregate-Auth"] is not null
        || head["X-Transcend-Version"] is not null
        || (head["User-Agent"] is { } agent && agent.Contains("AnyConnect", StringComparison.OrdinalIgnoreCase));

    /// <summary>RFC 6750: 401 with WWW-Authenticate: Bearer and no body, which makes openconnect --token-mode=oidc send its token.</summary>
    private static HttpResponse BearerChallenge() =>
        new HttpResponse(401, "Unauthorized").Header("WWW-Authenticate", "Bearer");

    private async Task<HttpResponse> SignInAsync(string token, CancellationToken stopping)
    {
        var configuration = _server.Current;
        var session = await _server.SignIn.SignInAsync(token, _client, configuration.Validator, configuration.Options.Limits, stopping);
        if (session is null)
        {
            return new HttpResponse(401, "Unauthorized").Header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        }

        return new HttpResponse(200, "OK")
            .Header("Set-Cookie", $"{ConnectRequest.CookieName}={session.Cookie}; Secure; HttpOnly")
            .Content("text/xml; charset=utf-8", AuthXml.BuildSuccess(configuration.Options.Banner));
    }

    private async Task<HttpResponse> LogoutAsync(HttpRequestHead head)
    {
        if (_server.Sessions.Find(head.GetCookie(ConnectRequest.CookieName)) is { } session)
        {
            await _server.Supervisor.EndAsync(session, "the client logged out", Protocol.Cstp.CstpPacketType.Disconnect);
        }

        return new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\"><logout>Signed out</logout></config-auth>\n");
    }

    private async Task TunnelAsync(SslStream ssl, CoalescingStream transport, ConnectionReader reader, HttpRequestHead head, CancellationToken stopping)
    {
        var configuration = _server.Current;
        if (head.Path != ConnectRequest.TunnelPath)
        {
            await WriteAsync(ssl, new HttpResponse(404, "Not Found"), stopping);
            return;
        }

        var request = ConnectRequest.FromHead(head);
        var session = _server.Sessions.Find(request.Cookie);
        if (session is null)
        {
            // openconnect stops on 401 at CONNECT instead of retrying (cstp.c).
            GatewayLog.CookieRefused(_logger, _client.Address, "CONNECT");
            await WriteAsync(ssl, new HttpResponse(401, "Unauthorized").Header("X-Reason", "The session cookie is not valid (expired, revoked or unknown)"), stopping);
            return;
        }

        var connection = new CstpConnection(session, ssl, reader, _client, _server.DataPlane, _server.Counters, _server.Time, configuration.Options.Limits.SendQueuePackets);
        if (!_server.Supervisor.TryAttach(session, connection, request, out bool reconnect))
        {
            if (session.Ended)
            {
                await WriteAsync(ssl, new HttpResponse(401, "Unauthorized"), stopping);
                return;
            }

            GatewayLog.PoolExhausted(_logger, session.Id, session.UserName, configuration.Tunnel.Pool.ToString(), _server.Pool.Capacity);
            await WriteAsync(ssl, new HttpResponse(503, "Service Unavailable").Header("X-Reason", "The address pool is exhausted"), stopping);
            return;
        }

        var parameters = configuration.Tunnel.For(session.IPv4Address, session.IPv6Address, request, PathMtu(), _client.AddressFamily == AddressFamily.InterNetworkV6);
        try
        {
            await WriteAsync(ssl, ConnectResponse.Build(parameters, _server.Dtls?.Offer(session, request, parameters)), stopping);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            await _server.Supervisor.ConnectionEndedAsync(session, connection, "link failed during CONNECT", configuration.Options.Timeouts.CookieTimeoutSeconds);
            return;
        }

        transport.Coalescing = true;
        GatewayLog.Connected(_logger, session.Id, session.UserName, _client, connection.Channel.Name, parameters.IPv4Address, parameters.IPv6Address?.ToString() ?? "none", parameters.DataMtu, reconnect ? " (reconnect)" : string.Empty);
        string reason = await connection.RunAsync();
        await _server.Supervisor.ConnectionEndedAsync(session, connection, reason, _server.Current.Options.Timeouts.CookieTimeoutSeconds);
    }

    /// <summary>
    /// The path MTU the TCP connection has found: the MSS plus the IP and TCP headers (ocserv
    /// reads TCP_MAXSEG the same way). Null when the socket does not say.
    /// </summary>
    private int? PathMtu()
    {
        const int IPPROTO_TCP = 6;
        const int TCP_MAXSEG = 2;
        Span<byte> value = stackalloc byte[4];
        try
        {
            if (_socket.GetRawSocketOption(IPPROTO_TCP, TCP_MAXSEG, value) != 4)
            {
                return null;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }

        int mss = BitConverter.ToInt32(value);
        int headers = _client.AddressFamily == AddressFamily.InterNetworkV6 ? 60 : 40;
        return mss > 0 ? mss + headers : null;
    }

    private static async Task WriteAsync(SslStream ssl, HttpResponse response, CancellationToken cancellationToken)
    {
        await ssl.WriteAsync(response.ToBytes(), cancellationToken);
        await ssl.FlushAsync(cancellationToken);
    }
}
