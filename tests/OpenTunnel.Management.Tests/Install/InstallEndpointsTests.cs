using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using OpenTunnel.Management.Install;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Tests.Install;

/// <summary>
/// What the install script uses: GET /install.sh, the install line in a new enrolment token, the
/// inbound reachability probe (only the caller, only the site's port, only with a live token,
/// rate-limited) and the enrolled server's status. The service listens on a real loopback port
/// so the probe's caller address and its connection back are real.
/// </summary>
[Trait("Category", "Integration")]
public sealed class InstallEndpointsTests
{
    private const string Nonce = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task InstallScript_WithoutSignIn_IsServedAsAShellScript()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null);
        using HttpClient anonymous = app.Client();

        using HttpResponseMessage response = await anonymous.GetAsync(new Uri("/install.sh", UriKind.Relative));
        string script = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/x-shellscript", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("#!/bin/sh", script, StringComparison.Ordinal);
        Assert.Contains("opentunnel-setup", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateEnrolmentToken_AnswersWithTheInstallLine_CarryingSitePinAndNoToken()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, settings: new Dictionary<string, string> { ["Management:Agents:PublicUrl"] = "https://mgmt.example:8444" });
        using HttpClient admin = app.Client(app.AdminKey);
        ApiResponse site = await Objects.SiteAsync(admin);

        ApiResponse created = await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });

        string line = created.Json.GetProperty("installLine").GetString()!;
        string siteName = (await admin.ReadAsync($"/api/v1/sites/{site.Id}")).Json.GetProperty("name").GetString()!;
        Assert.StartsWith("sh -c 'set -e; trap \"[ \\$? = 0 ] || echo exit 1\" EXIT; c=$(mktemp); curl -fsSk http://localhost/ca.pem -o $c; ", line, StringComparison.Ordinal);
        Assert.Contains($"= {created.Json.GetProperty("caPin").GetString()![CertificatePins.Prefix.Length..]} ||", line, StringComparison.Ordinal);
        Assert.Contains("curl -fsS --cacert $c http://localhost/install.sh' | sudo sh -s -- --management https://mgmt.example:8444 ", line, StringComparison.Ordinal);
        Assert.Contains($"--site '{siteName}'", line, StringComparison.Ordinal);
        Assert.Contains("--token-file FILE", line, StringComparison.Ordinal);
        Assert.Contains($"--ca-pin {created.Json.GetProperty("caPin").GetString()}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Json.GetProperty("token").GetString()!, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateEnrolmentToken_WithAPublicUrlAShellWouldRead_Is400_AndMakesNoToken()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, settings: new Dictionary<string, string> { ["Management:Agents:PublicUrl"] = "https://mgmt.example:8444/a'$(id)'" });
        using HttpClient admin = app.Client(app.AdminKey);
        ApiResponse site = await Objects.SiteAsync(admin);

        ApiResponse refused = await admin.SendAsync(HttpMethod.Post, $"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("only letters, digits and . - : / [ ] may appear", refused.Body, StringComparison.Ordinal);
        Assert.Contains("Management:Agents:PublicUrl", refused.Body, StringComparison.Ordinal);
        Assert.Empty((await admin.ReadAsync($"/api/v1/sites/{site.Id}/enrolment-tokens")).Json.EnumerateArray());
    }

    [Theory]
    [InlineData("mgmt.example;id")]
    [InlineData("mgmt.example`id`")]
    [InlineData("mgmt.example$HOME")]
    public async Task CreateEnrolmentToken_WithAHostHeaderAShellWouldRead_Is400(string host)
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, settings: new Dictionary<string, string> { ["Management:Agents:PublicUrl"] = "https://mgmt.example:8444" });
        using HttpClient admin = app.Client(app.AdminKey);
        ApiResponse site = await Objects.SiteAsync(admin);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sites/{site.Id}/enrolment-tokens") { Content = JsonContent.Create(new { validForHours = 1 }) };
        Assert.True(request.Headers.TryAddWithoutValidation("Host", host));

        using HttpResponseMessage refused = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("cannot name", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_WithAResponderOnTheSitePort_ReportsTcpAndUdpReachableAtTheCallersAddress()
    {
        using var responder = Responder.Start(Nonce);
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, listen: true);
        using HttpClient admin = Listening(app, app.AdminKey);
        using HttpClient anonymous = Listening(app);
        string token = await TokenAsync(admin, responder.Port);

        ApiResponse answer = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token, nonce = Nonce });

        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body);
        Assert.Equal("127.0.0.1", answer.Json.GetProperty("address").GetString());
        Assert.Equal(responder.Port, answer.Json.GetProperty("port").GetInt32());
        Assert.True(answer.Json.GetProperty("tcp").GetProperty("reachable").GetBoolean(), answer.Body);
        Assert.True(answer.Json.GetProperty("udp").GetProperty("reachable").GetBoolean(), answer.Body);
        Assert.Equal(1, responder.TcpConnections);
    }

    [Fact]
    public async Task Readiness_WhenAnotherProgramAnswers_IsNotReachable()
    {
        using var responder = Responder.Start("somebody-else-entirely");
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, listen: true);
        using HttpClient admin = Listening(app, app.AdminKey);
        using HttpClient anonymous = Listening(app);
        string token = await TokenAsync(admin, responder.Port);

        ApiResponse answer = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token, nonce = Nonce });

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.False(answer.Json.GetProperty("tcp").GetProperty("reachable").GetBoolean());
        Assert.Contains("another program answered", answer.Json.GetProperty("tcp").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(answer.Json.GetProperty("udp").GetProperty("reachable").GetBoolean());
    }

    [Fact]
    public async Task Readiness_WithAnUnknownOrUsedToken_Returns401_AndProbesNothing()
    {
        using var responder = Responder.Start(Nonce);
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, listen: true);
        using HttpClient admin = Listening(app, app.AdminKey);
        using HttpClient anonymous = Listening(app);
        string token = await TokenAsync(admin, responder.Port);
        ApiResponse enrolled = await anonymous.CreateAsync("/api/v1/enrolment", new { token, serverName = "gw-used", certificateRequest = Objects.CertificateRequest() });

        ApiResponse used = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token, nonce = Nonce });
        ApiResponse unknown = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token = "ote_not-a-token", nonce = Nonce });

        Assert.Equal(HttpStatusCode.Unauthorized, used.Status);
        Assert.Contains("already used", used.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Contains("not known", unknown.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, responder.TcpConnections);
        Assert.Equal(0, responder.UdpDatagrams);
        Assert.Equal(HttpStatusCode.Created, enrolled.Status);
    }

    [Fact]
    public async Task Readiness_TakesNoTargetFromTheRequest_AndRefusesABadNonce()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, listen: true);
        using HttpClient admin = Listening(app, app.AdminKey);
        using HttpClient anonymous = Listening(app);
        using var responder = Responder.Start(Nonce);
        string token = await TokenAsync(admin, responder.Port);

        // An address or port in the body is not read: the probe goes to the caller at the site's port.
        ApiResponse answer = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token, nonce = Nonce, address = "198.18.9.9", port = 22 });
        ApiResponse badNonce = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token, nonce = "short" });

        Assert.Equal("127.0.0.1", answer.Json.GetProperty("address").GetString());
        Assert.Equal(responder.Port, answer.Json.GetProperty("port").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, badNonce.Status);
        Assert.NotEmpty(badNonce.ErrorsFor("nonce"));
    }

    [Fact]
    public async Task Readiness_MoreThanTheLimitFromOneAddress_Returns429()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null, listen: true);
        using HttpClient anonymous = Listening(app);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i <= InstallEndpoints.ProbesPerWindow; i++)
        {
            statuses.Add((await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/readiness", new { token = "ote_unknown", nonce = Nonce })).Status);
        }

        Assert.All(statuses.Take(InstallEndpoints.ProbesPerWindow), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task Status_AfterEnrolment_NamesTheServer_AndBeforeItSaysNotEnrolled()
    {
        await using TestDatabase database = TestDatabase.CreateSqlite();
        await using ManagementApp app = ManagementApp.Start(database, issuer: null);
        using HttpClient admin = app.Client(app.AdminKey);
        using HttpClient anonymous = app.Client();
        ApiResponse site = await Objects.SiteAsync(admin);
        string token = (await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 })).Json.GetProperty("token").GetString()!;

        ApiResponse before = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/status", new { token });
        ApiResponse server = await anonymous.CreateAsync("/api/v1/enrolment", new { token, serverName = "gw-status", certificateRequest = Objects.CertificateRequest() });
        ApiResponse after = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/status", new { token });
        ApiResponse unknown = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/enrolment/status", new { token = "ote_unknown" });

        Assert.Equal(HttpStatusCode.NotFound, before.Status);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal("gw-status", after.Json.GetProperty("serverName").GetString());
        Assert.Equal(server.Id, after.Json.GetProperty("serverId").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
    }

    private static HttpClient Listening(ManagementApp app, string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = app.Address };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A site whose configuration's port is <paramref name="port"/>, and a token for it.</summary>
    private static async Task<string> TokenAsync(HttpClient admin, int port)
    {
        ApiResponse configuration = await admin.CreateAsync("/api/v1/configurations", new { name = ManagementAppFixture.Unique("cfg"), ipv4Range = "198.18.128.0/24", port });
        ApiResponse site = await admin.CreateAsync("/api/v1/sites", new { name = ManagementAppFixture.Unique("site"), publicAddress = "198.18.1.1", serverConfigurationId = configuration.Id });
        ApiResponse token = await admin.CreateAsync($"/api/v1/sites/{site.Id}/enrolment-tokens", new { validForHours = 1 });
        return token.Json.GetProperty("token").GetString()!;
    }

    /// <summary>What the install script's responder does: answer every TCP connection and UDP datagram on one port with a nonce.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly TcpListener _tcp;
        private readonly UdpClient _udp;
        private readonly CancellationTokenSource _stop = new();
        private int _tcpConnections;
        private int _udpDatagrams;

        private Responder(TcpListener tcp, UdpClient udp, byte[] answer)
        {
            _tcp = tcp;
            _udp = udp;
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    using TcpClient client = await _tcp.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _tcpConnections);
                    await client.GetStream().WriteAsync(answer, _stop.Token);
                }
            });
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    UdpReceiveResult received = await _udp.ReceiveAsync(_stop.Token);
                    Interlocked.Increment(ref _udpDatagrams);
                    await _udp.SendAsync(answer, received.RemoteEndPoint, _stop.Token);
                }
            });
        }

        public int Port => ((IPEndPoint)_tcp.LocalEndpoint).Port;

        public int TcpConnections => Volatile.Read(ref _tcpConnections);

        public int UdpDatagrams => Volatile.Read(ref _udpDatagrams);

        public static Responder Start(string nonce)
        {
            // A port free for TCP and UDP both: the gateway uses one number for TLS and DTLS.
            for (int attempt = 0; ; attempt++)
            {
                var tcp = new TcpListener(IPAddress.Loopback, 0);
                tcp.Start();
                try
                {
                    var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)tcp.LocalEndpoint).Port));
                    return new Responder(tcp, udp, Encoding.ASCII.GetBytes(nonce + "\n"));
                }
                catch (SocketException) when (attempt < 20)
                {
                    tcp.Stop();
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _tcp.Stop();
            _udp.Dispose();
            _stop.Dispose();
        }
    }
}
