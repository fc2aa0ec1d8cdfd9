using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Hosting;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>
/// The real management service in this process on 127.0.0.1 with real Kestrel: the API on a
/// free port over http and the mutual-TLS agent endpoint on another, a SQLite database in a
/// fresh data directory, short intervals, and every log line captured for assertions.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TemporaryDirectory? _ownDirectory;

    private ManagementServer(WebApplication app, FakeLogCollector logs, string dataDirectory, TemporaryDirectory? ownDirectory)
    {
        _app = app;
        Logs = logs;
        DataDirectory = dataDirectory;
        _ownDirectory = ownDirectory;
        AgentEndPoint = app.Services.GetRequiredService<AgentEndpointBinding>().EndPoint!;
        ApiUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => new Uri(a).Port != AgentEndPoint.Port));

        // Over https (a test that asks for it with the urls setting) the admin trusts the deployment's CA by its file.
        Admin = ApiUrl.Scheme == Uri.UriSchemeHttps
            ? new HttpClient(DeploymentTrust.FromCaFile(Path.Combine(dataDirectory, InternalCertificateAuthority.CertificateFileName), "CA file").CreateHandler()) { BaseAddress = ApiUrl }
            : new HttpClient { BaseAddress = ApiUrl };
        Admin.DefaultRequestHeaders.Add("X-Api-Key", File.ReadAllText(Path.Combine(dataDirectory, "admin-api-key")).Trim());
        Api = new AdminApiClient(Admin);
        Authority = app.Services.GetRequiredService<InternalCertificateAuthority>();
    }

    public FakeLogCollector Logs { get; }

    /// <summary>The API's address (http://127.0.0.1:PORT, or https when the test asked for it).</summary>
    public Uri ApiUrl { get; }

    public string DataDirectory { get; }

    /// <summary>Signed in with the first full-admin key.</summary>
    public HttpClient Admin { get; }

    public IPEndPoint AgentEndPoint { get; }

    public string AgentUrl => $"https://127.0.0.1:{AgentEndPoint.Port}";

    public InternalCertificateAuthority Authority { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a service; <paramref name="dataDirectory"/> and <paramref name="agentPort"/> let a
    /// test start it again on the same database and port.
    /// </summary>
    public static async Task<ManagementServer> StartAsync(string? dataDirectory = null, int agentPort = 0, IReadOnlyDictionary<string, string>? settings = null)
    {
        TemporaryDirectory? own = dataDirectory is null ? new TemporaryDirectory() : null;
        string data = dataDirectory ?? own!.Path;
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--Management:Https:AllowLoopbackHttp", "true",
            "--Management:DataDirectory", data,
            "--Management:Agents:Listen", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{agentPort}"),
            "--Management:Agents:ChangeCheckMilliseconds", "200",
            "--Management:Agents:LongPollSeconds", "5",
        };
        foreach ((string key, string value) in settings ?? new Dictionary<string, string>())
        {
            args.Add("--" + key);
            args.Add(value);
        }

        var logs = new FakeLogCollector();
        WebApplication app = ManagementHost.Build([.. args], builder => builder.Logging.AddProvider(new FakeLoggerProvider(logs)));
        await app.StartAsync();
        return new ManagementServer(app, logs, data, own);
    }

    /// <summary>A server configuration (pool 198.18.128.0/24) and a site that uses it; returns the site's and configuration's ids.</summary>
    public async Task<(Guid Site, Guid Configuration)> CreateSiteAsync(string? probeUrl = null)
    {
        string name = Guid.NewGuid().ToString("N")[..10];
        JsonElement configuration = await CreateAsync("/api/v1/configurations", new { name = "cfg-" + name, ipv4Range = "198.18.128.0/24", dnsServers = new[] { "198.18.2.53" } });
        JsonElement site = await CreateAsync("/api/v1/sites", new
        {
            name = "site-" + name,
            publicAddress = "198.18.1.1",
            serverConfigurationId = configuration.GetProperty("id").GetGuid(),
            internalProbeUrl = probeUrl,
        });
        return (site.GetProperty("id").GetGuid(), configuration.GetProperty("id").GetGuid());
    }

    /// <summary>A one-time enrolment token of the site.</summary>
    public async Task<string> CreateTokenAsync(Guid site) =>
        (await CreateAsync($"/api/v1/sites/{site}/enrolment-tokens", new { validForHours = 1 })).GetProperty("token").GetString()!;

    /// <summary>Agent settings for an enrolment with the agent CA's pin, in a fresh data directory below <paramref name="directory"/>.</summary>
    public AgentOptions AgentOptions(TemporaryDirectory directory, string? serverName = null) => new()
    {
        DataDirectory = directory.Subdirectory("agent-" + Guid.NewGuid().ToString("N")[..6]),
        ManagementUrl = AgentUrl,
        CaPin = Authority.Pin,
        ServerName = serverName ?? "gw-" + Guid.NewGuid().ToString("N")[..6],
    };

    /// <summary>The enrolment tokens of <paramref name="site"/> as the API lists them (redeemedAt null while unused).</summary>
    public async Task<JsonElement> TokensAsync(Guid site) => await GetAsync($"/api/v1/sites/{site}/enrolment-tokens");

    /// <summary>The API signed in with the first full-admin key.</summary>
    public AdminApiClient Api { get; }

    public Task<JsonElement> CreateAsync(string path, object body) => Api.PostAsync(path, body);

    public Task<JsonElement> PostAsync(string path, object body) => Api.PostAsync(path, body);

    public Task<JsonElement> GetAsync(string path) => Api.GetAsync(path);

    /// <summary>Whether a captured log line contains <paramref name="text"/>.</summary>
    public bool Logged(string text) => Logs.GetSnapshot().Any(r => r.Message.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _ownDirectory?.Dispose();
    }
}
