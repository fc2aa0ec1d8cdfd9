using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;

namespace OpenTunnel.Agent.Tests.Link;

/// <summary>
/// The agents' mutual-TLS port serves the agent routes and enrolment and nothing else: the
/// administrators' API (even with the first full-admin key), the identity provider and the
/// OpenAPI document answer 404 there, with or without an agent's certificate. Conversely the
/// agent routes answer 404 on the API port, where the rest is served.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentEndpointScopeTests(AgentEndpointScopeTests.Service fixture) : IClassFixture<AgentEndpointScopeTests.Service>
{
    private ManagementServer Server => fixture.Server;

    private string AdminKey => File.ReadAllText(Path.Combine(Server.DataDirectory, "admin-api-key")).Trim();

    [Theory]
    [InlineData("GET", "/api/v1/sites")]
    [InlineData("POST", "/api/v1/sites")]
    [InlineData("GET", "/api/v1/api-keys")]
    [InlineData("GET", "/api/v1/agent-ca")]
    [InlineData("GET", "/API/V1/Sites/")]
    [InlineData("GET", "/.well-known/openid-configuration")]
    [InlineData("GET", "/.well-known/jwks")]
    [InlineData("POST", "/connect/token")]
    [InlineData("GET", "/connect/authorize")]
    [InlineData("GET", "/connect/verify")]
    [InlineData("GET", "/openapi/v1.json")]
    [InlineData("GET", "/scalar")]
    [InlineData("GET", "/scalar/scalar.js")]
    [InlineData("GET", "/healthz")]
    [InlineData("GET", "/api/v1/enrolment")]
    public async Task AgentPort_EverythingButAgentRoutesAndEnrolment_Answers404(string method, string path)
    {
        EnrolledAgent agent = await fixture.AgentAsync();
        foreach (X509Certificate2? certificate in new[] { null, agent.Identity.Certificate })
        {
            using HttpClient client = AgentPort(certificate);

            using HttpResponseMessage response = await SendAsync(client, method, path);

            Assert.True(response.StatusCode == HttpStatusCode.NotFound,
                $"{method} {path} on the agent port ({(certificate is null ? "no" : "an agent's")} client certificate) answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task AgentPort_AgentRoutesAndEnrolment_AreServed()
    {
        EnrolledAgent agent = await fixture.AgentAsync();
        using HttpClient anonymous = AgentPort(null);
        using HttpClient signedIn = AgentPort(agent.Identity.Certificate);

        using HttpResponseMessage authority = await SendAsync(anonymous, "GET", AgentRoutes.Authority);
        using HttpResponseMessage enrolment = await SendAsync(anonymous, "POST", AgentRoutes.Enrolment);
        using HttpResponseMessage poll = await SendAsync(signedIn, "GET", AgentRoutes.Poll + "?wait=1");
        using HttpResponseMessage pollWithoutCertificate = await SendAsync(anonymous, "GET", AgentRoutes.Poll);

        Assert.Equal(HttpStatusCode.OK, authority.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, enrolment.StatusCode);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, pollWithoutCertificate.StatusCode);
    }

    [Theory]
    [InlineData("GET", AgentRoutes.Authority)]
    [InlineData("GET", AgentRoutes.Poll)]
    [InlineData("POST", AgentRoutes.Telemetry)]
    [InlineData("POST", AgentRoutes.Certificate)]
    [InlineData("GET", "/AGENT/v1/poll")]
    public async Task ApiPort_AgentRoutes_Answer404(string method, string path)
    {
        using HttpResponseMessage response = await SendAsync(Server.Admin, method, path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/sites")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/scalar")]
    public async Task ApiPort_AdminApiIdentityProviderAndOpenApi_AreServed(string path)
    {
        using HttpResponseMessage response = await SendAsync(Server.Admin, "GET", path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private HttpClient AgentPort(X509Certificate2? certificate)
    {
        HttpClient client = ManagementHttp.CreateClient(new Uri(Server.AgentUrl), ManagementTrust.PinnedAuthority(Server.Authority.Certificate, new Uri(Server.AgentUrl)), certificate);
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(path.StartsWith("/connect/", StringComparison.Ordinal) ? "grant_type=client_credentials" : "{}", Encoding.UTF8,
                path.StartsWith("/connect/", StringComparison.Ordinal) ? "application/x-www-form-urlencoded" : "application/json");
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.SendAsync(request, limit.Token);
    }

    /// <summary>The service with its identity provider over plain http on the API port (loopback), so its discovery document answers there.</summary>
    public sealed class Service : ManagementServerFixture
    {
        private Task<EnrolledAgent>? _agent;

        /// <summary>One enrolled agent for the class.</summary>
        public Task<EnrolledAgent> AgentAsync() => _agent ??= EnrolAsync();

        public override async Task DisposeAsync()
        {
            if (_agent is not null)
            {
                (await _agent).Dispose();
            }

            await base.DisposeAsync();
        }

        protected override Task<IReadOnlyDictionary<string, string>> SettingsAsync() =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string> { ["Identity:RequireHttps"] = "false" });
    }
}
