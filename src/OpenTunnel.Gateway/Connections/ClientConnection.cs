using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Gateway.Metrics;
using OpenTunnel.Gateway.Sessions;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Crypto;
using OpenTunnel.Platform.Linux.Net;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Auth;
using OpenTunnel.Protocol.Http;
using OpenTunnel.Protocol.Tunnel;

namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// One client TCP connection: the TLS handshake, then the HTTP requests of the sign-in (as
/// ocserv worker-http.c and worker-auth.c answer them), then, after a successful CONNECT, the
/// CSTP tunnel on the same stream. It sees the gateway only through what it uses: the
/// configuration in force, the sign-in service, the session table and supervisor, the DTLS side
/// (for the CONNECT answer) and the handshake metric.
/// </summary>
internal sealed class ClientConnection
{
    /// <summary>The path that offers the auth form with a password field for the token, for clients that cannot answer a Bearer challenge.</summary>
    public const string TokenFormPath = "/token";

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private const string HealthPage = "<!DOCTYPE html>\n<html><head><title>OpenTunnel gateway</title></head><body><p>OpenTunnel gateway: up.</p></body></html>\n";

    /// <summary>Set once the warning that OpenSSL keeps idle buffers has been logged.</summary>
    private static int s_tlsBuffersWarned;

    private readonly IRunningConfiguration _configuration;
    private readonly SignInService _signIn;
    private readonly SessionTable _sessions;
    private readonly SessionSupervisor _supervisor;
    private readonly GatewayDtls? _dtls;
    private readonly GatewayMetrics _metrics;
    private readonly IPEndPoint _client;
    private readonly TcpPath _path;
    private readonly PreAuthTicket _preAuth;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Set once a sign-in request of this connection was served here: later ones are never redirected.</summary>
    private bool _signInStarted;

    /// <summary>Set when this connection was answered with a redirect: it closes after the answer.</summary>
    private bool _redirected;

    /// <summary>
    /// <paramref name="path"/> gives the path MTU the TCP connection found (<see cref="TcpInfo.PathMtu"/>)
    /// and its round trip; <paramref name="preAuth"/> is the connection's
    /// pre-authentication slot (<see cref="PreAuthGate"/>), which it gives back when it signs in,
    /// presents a valid cookie or ends.
    /// </summary>
    public ClientConnection(IRunningConfiguration configuration, SignInService signIn, SessionTable sessions, SessionSupervisor supervisor, GatewayDtls? dtls,
        GatewayMetrics metrics, IPEndPoint client, TcpPath path, PreAuthTicket preAuth, TimeProvider time, ILogger logger)
    {
        _configuration = configuration;
        _signIn = signIn;
        _sessions = sessions;
        _supervisor = supervisor;
        _dtls = dtls;
        _metrics = metrics;
        _client = client;
        _path = path;
        _preAuth = preAuth;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Serves an accepted TCP connection until the client leaves or <paramref name="stopping"/>,
    /// if <paramref name="gate"/> admits it; otherwise closes it at once with a reset (no TLS
    /// work, and no TIME_WAIT left on the gateway's side).
    /// </summary>
    public static Task ServeAsync(Socket socket, PreAuthGate gate, LimitOptions limits, Func<IPEndPoint, TcpPath, PreAuthTicket, ClientConnection> create, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(create);
        var client = (IPEndPoint)socket.RemoteEndPoint!;
        if (gate.TryAdmit(client.Address, limits) is not { } preAuth)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
            return Task.CompletedTask;
        }

        socket.NoDelay = true;
        var connection = create(client, new TcpPath(() => TcpInfo.PathMtu(socket), () => TcpInfo.RoundTripMicroseconds(socket), () => TcpInfo.LeastRoundTripMicroseconds(socket)), preAuth);
        return connection.RunAsync(new CoalescingStream(new NetworkStream(socket, ownsSocket: true)), stopping);
    }

    /// <summary>
    /// Runs the TLS handshake, the sign-in exchange and the tunnel over <paramref name="transport"/>,
    /// which it disposes. Everything before CONNECT (the pre-authentication phase) ends at
    /// Limits:PreAuthTimeoutSeconds after the start whatever the client sends, as ocserv's
    /// auth-timeout, or when the connection loses its slot to a newcomer (<see cref="PreAuthBudget"/>).
    /// </summary>
    public async Task RunAsync(CoalescingStream transport, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(transport);
        await using var connectionTransport = transport;
        using var preAuth = _preAuth;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_configuration.Current.Options.Limits.PreAuthTimeoutSeconds), _time);
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token, preAuth.Evicted);

        // The transport outlives SslStream: a connection whose records the gateway takes over at its
        // CONNECT lets SslStream and its OpenSSL state go at once (TakeOverRecords).
        var ssl = new SslStream(transport, leaveInnerStreamOpen: true);
        try
        {
            await RunTlsAsync(ssl, transport, stopping, preAuth, deadline, phase.Token);
        }
        finally
        {
            TlsTrafficSecretsSource.Forget(ssl);
            await ssl.DisposeAsync();
        }
    }

    private async Task RunTlsAsync(SslStream ssl, CoalescingStream transport, CancellationToken stopping, PreAuthTicket preAuth, CancellationTokenSource deadline, CancellationToken phase)
    {
        if (!await HandshakeAsync(ssl, phase))
        {
            PreAuthEnded(stopping, preAuth, deadline);
            return;
        }

        using var reader = new ConnectionReader(ssl);
        HttpRequestHead? connect = null;
        try
        {
            connect = await SignInPhaseAsync(ssl, reader, phase);
        }
        catch (OperationCanceledException) when (phase.IsCancellationRequested)
        {
            // The deadline, an eviction or the gateway stopping: told below.
        }

        if (connect is null)
        {
            PreAuthEnded(stopping, preAuth, deadline);
            return;
        }

        await TunnelAsync(ssl, transport, reader, connect, stopping);
    }

    /// <summary>Answers the requests before CONNECT; returns the CONNECT request, or null when the connection is done.</summary>
    private async Task<HttpRequestHead?> SignInPhaseAsync(SslStream ssl, ConnectionReader reader, CancellationToken phase)
    {
        while (!phase.IsCancellationRequested)
        {
            (HttpRequestHead Head, byte[] Body)? request;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(phase);
                timeout.CancelAfter(RequestTimeout);
                request = await reader.ReadRequestAsync(timeout.Token);
            }
            catch (InvalidDataException e)
            {
                Malformed(e.Message);
                await WriteAsync(ssl, new HttpResponse(400, "Bad Request").Header("Connection", "close"), phase);
                return null;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or AuthenticationException)
            {
                return null;
            }

            if (request is null)
            {
                return null;
            }

            var (head, body) = request.Value;

            if (head.Method == "CONNECT")
            {
                return head;
            }

            var response = await AnswerAsync(head, body, phase);
            await WriteAsync(ssl, response, phase);
            if (_redirected || string.Equals(head["Connection"], "close", StringComparison.OrdinalIgnoreCase) || head.Version == "HTTP/1.0")
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Counts and logs a pre-authentication phase the gateway ended (deadline or eviction); nothing when the client ended it or the gateway stops.</summary>
    private void PreAuthEnded(CancellationToken stopping, PreAuthTicket preAuth, CancellationTokenSource deadline)
    {
        if (stopping.IsCancellationRequested)
        {
            return;
        }

        if (preAuth.Evicted.IsCancellationRequested)
        {
            _metrics.PreAuthClosed("evicted");
            GatewayLog.PreAuthClosed(_logger, _client, "its pre-authentication slot went to a connection from a client holding fewer (Limits:MaxPreAuthConnections is full)");
        }
        else if (deadline.IsCancellationRequested)
        {
            _metrics.PreAuthClosed("deadline");
            GatewayLog.PreAuthClosed(_logger, _client,
                string.Create(CultureInfo.InvariantCulture, $"not signed in within {_configuration.Current.Options.Limits.PreAuthTimeoutSeconds} s (Limits:PreAuthTimeoutSeconds)"));
        }
    }

    /// <summary>Logs a request the gateway cannot parse and adds ban points to its client.</summary>
    private void Malformed(string problem)
    {
        GatewayLog.BadRequest(_logger, _client, problem);
        var limits = _configuration.Current.Options.Limits;
        _signIn.Penalize(_client.Address, limits.BanPointsMalformedRequest, limits, "a malformed request");
    }

    private async Task<bool> HandshakeAsync(SslStream ssl, CancellationToken phase)
    {
        var configuration = _configuration.Current;
        var options = configuration.Certificate.ServerOptions();
        long started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(phase);
            timeout.CancelAfter(HandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
            _metrics.HandshakeCompleted(Stopwatch.GetElapsedTime(started));
            if (!OpenSslIdleBuffers.TryEnable(ssl) && Interlocked.Exchange(ref s_tlsBuffersWarned, 1) == 0)
            {
                GatewayLog.TlsBuffersKept(_logger);
            }

            // Done at the certificate's load already (ServerCertificate.WatchSecrets); should that have failed, the later handshakes hand their secrets over from here.
            TlsTrafficSecretsSource.Watch(ssl);

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
            if (RedirectNewSignIn(head) is { } redirect)
            {
                return redirect;
            }

            return await SignInAsync(authorization["Bearer ".Length..].Trim(), stopping);
        }

        if (head.Method == "POST")
        {
            if (!AuthXml.TryParseClientMessage(Encoding.UTF8.GetString(body), out var message, out string? error))
            {
                Malformed("auth XML: " + error);
                return new HttpResponse(400, "Bad Request");
            }

            message!.Fields.TryGetValue(AuthXml.SsoTokenField, out string? browserToken);
            // A browser sign-in's token is redeemed only where its attempt lives: never redirected.
            if (message.Type != ClientAuthMessage.LogoutType && string.IsNullOrEmpty(browserToken) && RedirectNewSignIn(head) is { } redirect)
            {
                return redirect;
            }

            switch (message.Type)
            {
                case ClientAuthMessage.ReplyType when message.Fields.TryGetValue(AuthXml.PasswordField, out string? token) && token.Length > 0:
                    return await SignInAsync(token.Trim(), stopping);
                case ClientAuthMessage.ReplyType when !string.IsNullOrEmpty(browserToken):
                    return SignedIn(_signIn.SignInWithBrowserToken(message.SignInAttempt, browserToken.Trim(), _client, _configuration.Current.Options.Limits, _configuration.Current.Tunnel.Unmanaged is not null));
                case ClientAuthMessage.LogoutType:
                    return await LogoutAsync(head);
                case ClientAuthMessage.InitType or ClientAuthMessage.ReplyType when head.Path == BrowserSignIn.FormPath:
                    return new BrowserSignIn(_signIn).Offer(head, _client, _configuration.Current.Options);
                case ClientAuthMessage.InitType or ClientAuthMessage.ReplyType when head.Path == TokenFormPath:
                    return new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
                        AuthXml.BuildTokenForm(TokenFormPath, "Paste your access token.", _configuration.Current.Options.Banner));
                default:
                    return BearerChallenge();
            }
        }

        if (head.Method == "GET")
        {
            if (IsOpenConnectClient(head))
            {
                if (RedirectNewSignIn(head) is { } redirect)
                {
                    return redirect;
                }

                return head.Path == TokenFormPath
                    ? new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
                        AuthXml.BuildTokenForm(TokenFormPath, "Paste your access token.", _configuration.Current.Options.Banner))
                    : BearerChallenge();
            }

            if (head.Path == Configuration.BrowserSignInOptions.CallbackPath)
            {
                var configuration = _configuration.Current;
                return await new BrowserSignIn(_signIn).CallbackAsync(head, _client, configuration.Options, configuration.Validator, stopping);
            }

            if (head.Path == BrowserSignIn.DonePath)
            {
                return BrowserSignIn.Done();
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
    /// The redirect to a peer of the site for the first sign-in request of this connection, when
    /// <see cref="SignInRedirectPolicy"/> says so (LoadBalancing:Mode Redirect); otherwise null,
    /// and the request is served here. A 302 with an absolute https:// Location, which openconnect
    /// follows to the new host (http.c handle_redirect), posting its init again there.
    /// </summary>
    private HttpResponse? RedirectNewSignIn(HttpRequestHead head)
    {
        if (_signInStarted)
        {
            return null;
        }

        _signInStarted = true;
        var decision = SignInRedirectPolicy.Decide(
            _configuration.Current.Options.LoadBalancing,
            _sessions.Count,
            _signIn.Draining,
            head.GetCookie(ConnectRequest.CookieName) is not null,
            SignInRedirectPolicy.IsRedirected(head.Target),
            _time.GetUtcNow());
        if (decision is null)
        {
            return null;
        }

        _redirected = true;
        _metrics.SignInRedirected(decision.Reason);
        GatewayLog.SignInRedirected(_logger, _client, decision.Peer, decision.Detail);
        return new HttpResponse(302, "Found")
            .Header("Location", SignInRedirectPolicy.Location(decision.Peer, head.Target))
            .Header("Connection", "close");
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
        var configuration = _configuration.Current;
        var session = await _signIn.SignInAsync(token, _client, configuration.Validator, configuration.Options.Limits, configuration.Tunnel.Unmanaged is not null, stopping);
        return SignedIn(session);
    }

    /// <summary>The answer to a sign-in: the session cookie and success, or a refusal (the sign-in service logged why).</summary>
    private HttpResponse SignedIn(GatewaySession? session)
    {
        var configuration = _configuration.Current;
        if (session is null && _signIn.Draining)
        {
            // A transient refusal, as ocserv answers when it cannot take a session now: the client
            // (or the load balancer in front) goes to another server of the site.
            return new HttpResponse(503, "Service Unavailable").Header("X-Reason", "The gateway is draining");
        }

        if (session is null)
        {
            return new HttpResponse(401, "Unauthorized").Header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        }

        // Signed in: the connection no longer counts against the pre-authentication budget.
        _preAuth.Dispose();

        return new HttpResponse(200, "OK")
            .Header("Set-Cookie", $"{ConnectRequest.CookieName}={session.Cookie}; Secure; HttpOnly")
            .Content("text/xml; charset=utf-8", AuthXml.BuildSuccess(configuration.Options.Banner));
    }

    private async Task<HttpResponse> LogoutAsync(HttpRequestHead head)
    {
        if (_sessions.Find(head.GetCookie(ConnectRequest.CookieName)) is { } session)
        {
            await _supervisor.EndAsync(session, "the client logged out", Protocol.Cstp.CstpPacketType.Disconnect);
        }

        return new HttpResponse(200, "OK").Content("text/xml; charset=utf-8",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\"><logout>Signed out</logout></config-auth>\n");
    }

    private async Task TunnelAsync(SslStream ssl, CoalescingStream transport, ConnectionReader reader, HttpRequestHead head, CancellationToken stopping)
    {
        var configuration = _configuration.Current;
        if (head.Path != ConnectRequest.TunnelPath)
        {
            await WriteAsync(ssl, new HttpResponse(404, "Not Found"), stopping);
            return;
        }

        var request = ConnectRequest.FromHead(head);
        var session = _sessions.Find(request.Cookie);
        if (session is null)
        {
            // openconnect stops on 401 at CONNECT instead of retrying (cstp.c).
            GatewayLog.CookieRefused(_logger, _client.Address, "CONNECT");
            await WriteAsync(ssl, new HttpResponse(401, "Unauthorized").Header("X-Reason", "The session cookie is not valid (expired, revoked or unknown)"), stopping);
            return;
        }

        // A valid cookie (a new tunnel or the reconnect of a session): out of the pre-authentication budget.
        _preAuth.Dispose();

        if (configuration.Tunnel.PolicyFor(session.Groups, session.Unmanaged) is not { } policy)
        {
            // Unmanaged access was removed after this session signed in (the sweep ends it as well).
            await _supervisor.EndAsync(session, SessionSupervisor.UnmanagedAccessWithdrawn, notify: null);
            await WriteAsync(ssl, new HttpResponse(401, "Unauthorized").Header("X-Reason", "Unmanaged devices have no access to this gateway"), stopping);
            return;
        }

        var connection = _supervisor.NewConnection(session, ssl, reader, _client, configuration.Options.Limits.SendQueuePackets, _path.RoundTripMicroseconds);
        if (!_supervisor.TryAttach(session, connection, request, out bool reconnect))
        {
            if (session.Ended)
            {
                await WriteAsync(ssl, new HttpResponse(401, "Unauthorized"), stopping);
                return;
            }

            GatewayLog.PoolExhausted(_logger, session.Id, session.UserName, configuration.Tunnel.Pool.ToString(), _supervisor.Pool.Capacity);
            await WriteAsync(ssl, new HttpResponse(503, "Service Unavailable").Header("X-Reason", "The address pool is exhausted"), stopping);
            return;
        }

        if (await _supervisor.EnforceAsync(session) is { } refused)
        {
            GatewayLog.FirewallFailed(_logger, $"the rules of session {session.Id} ({session.UserName}) were not installed, so it gets no tunnel: {refused}");
            await WriteAsync(ssl, new HttpResponse(503, "Service Unavailable").Header("X-Reason", "The session's network policy could not be installed"), stopping);
            await _supervisor.ConnectionEndedAsync(session, connection, "network policy not installed", configuration.Options.Timeouts.CookieTimeoutSeconds);
            return;
        }

        var parameters = configuration.Tunnel.For(session.IPv4Address, session.IPv6Address, request, _path.Mtu(), _client.AddressFamily == AddressFamily.InterNetworkV6, policy);
        try
        {
            await WriteAsync(ssl, ConnectResponse.Build(parameters, _dtls?.Offer(session, request, parameters, _path.LeastRoundTripMicroseconds)), stopping);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            await _supervisor.ConnectionEndedAsync(session, connection, "link failed during CONNECT", configuration.Options.Timeouts.CookieTimeoutSeconds);
            return;
        }

        TakeOverRecords(ssl, transport, connection, session.Id);
        transport.Coalescing = true;
        GatewayLog.Connected(_logger, session.Id, session.UserName, _client, connection.Sink.Name, parameters.IPv4Address, parameters.IPv6Address?.ToString() ?? "none", parameters.DataMtu, reconnect ? " (reconnect)" : string.Empty);
        string reason = await connection.RunAsync();
        await _supervisor.ConnectionEndedAsync(session, connection, reason, _configuration.Current.Options.Timeouts.CookieTimeoutSeconds);
    }

    /// <summary>
    /// From the CONNECT answer on, the gateway seals and opens the connection's TLS records itself
    /// where it can (docs/gateway.md, "TLS records after the CONNECT"); otherwise SslStream goes on.
    /// </summary>
    private void TakeOverRecords(SslStream ssl, CoalescingStream transport, CstpConnection connection, long sessionId)
    {
        var records = TlsRecordStream.TryTakeOver(ssl, transport, OpenSslAesGcm.Factory, out string? why);
        transport.StopTapping();
        if (records is not null)
        {
            connection.UseStream(records);

            // Only the keys were needed: SslStream's OpenSSL connection (a few KB an idle session
            // kept until its end) goes now; the transport stays open (RunAsync closes it).
            ssl.Dispose();
        }
        else
        {
            GatewayLog.TlsRecordsKept(_logger, sessionId, why!);
        }
    }

    private static async Task WriteAsync(SslStream ssl, HttpResponse response, CancellationToken cancellationToken)
    {
        await ssl.WriteAsync(response.ToBytes(), cancellationToken);
        await ssl.FlushAsync(cancellationToken);
    }
}
