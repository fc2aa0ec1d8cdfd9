using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.AspNetCore.Hosting;
using OpenTunnel.Management.Tests.Harness;
using OpenTunnel.Trust;

namespace OpenTunnel.Identity.Tests.Harness;

/// <summary>
/// The management service with its embedded identity provider, listening on 127.0.0.1 over plain
/// http (Identity:RequireHttps false, as on loopback only), on a SQLite file, with a directory
/// made through the management API: one site, a group that a conditional-access policy lets in
/// with a compliant device, a compliance policy (disk encryption and firewall), and users.
/// </summary>
public class IdentityFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    public const string ConsoleRedirectUri = "http://127.0.0.1/signed-in";

    private TestDatabase? _database;

    public ManagementApp App { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>A client with no credentials, that does not follow redirects (so a test sees them).</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>The issuer as the discovery document names it (http://127.0.0.1:PORT/).</summary>
    public string Issuer { get; private set; } = null!;

    public string SiteId { get; private set; } = null!;

    public string SiteName { get; private set; } = null!;

    public string AllowedGroupId { get; private set; } = null!;

    public string AllowedGroupName { get; private set; } = null!;

    public OidcClient Oidc { get; private set; } = null!;

    /// <summary>Every line the service logged.</summary>
    public FakeLogCollector Logs { get; private set; } = null!;

    /// <summary>Asserts that a line with <paramref name="eventId"/> containing <paramref name="text"/> was logged.</summary>
    public void AssertLogged(int eventId, string text) =>
        Assert.True(Logged(eventId, text), $"No log line {eventId} containing '{text}'. Lines {eventId}: {string.Join(" | ", Logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(r => r.Message))}");

    /// <summary>Like <see cref="AssertLogged"/> for a line a background task writes: waits up to 5 s for it.</summary>
    public async Task AssertLoggedSoonAsync(int eventId, string text)
    {
        for (int i = 0; i < 100 && !Logged(eventId, text); i++)
        {
            await Task.Delay(50);
        }

        AssertLogged(eventId, text);
    }

    private bool Logged(int eventId, string text) => Logs.GetSnapshot().Any(r => r.Id.Id == eventId && r.Message.Contains(text, StringComparison.Ordinal));

    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>Where the service listens: plain http on loopback, or https in fixtures that test the provider over TLS.</summary>
    protected virtual string ListenUrl => "http://127.0.0.1:0";

    /// <summary>
    /// The test's own clients over https trust the deployment's CA by its file, as a real client
    /// would; over http the handler is a plain one.
    /// </summary>
    protected HttpClientHandler TrustingHandler(bool followRedirects)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = followRedirects };
        if (ListenUrl.StartsWith("https:", StringComparison.Ordinal))
        {
            var trust = DeploymentTrust.FromCaFile(Path.Combine(App.Database.DataDirectory, "agent-ca.pem"), "CA file");
            handler.ServerCertificateCustomValidationCallback = (request, certificate, chain, _) => trust.Validate(request.RequestUri!.IdnHost, certificate, chain);
        }

        return handler;
    }

    /// <summary>Changes the service's registrations after the service's own (e.g. a fake clock).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        _database = TestDatabase.CreateSqlite();
        var settings = new Dictionary<string, string>
        {
            ["Identity:RequireHttps"] = "false",
            ["Identity:ConsoleRedirectUris:0"] = ConsoleRedirectUri,
        };
        foreach ((string key, string value) in Settings)
        {
            settings[key] = value;
        }

        App = ManagementApp.Start(_database, issuer: null, listen: true, settings, b => b.UseUrls(ListenUrl).ConfigureServices(s =>
        {
            s.AddFakeLogging();
            ConfigureServices(s);
        }));
        Logs = App.Services.GetFakeLogCollector();
        if (ListenUrl.StartsWith("https:", StringComparison.Ordinal))
        {
            Admin = new HttpClient(TrustingHandler(followRedirects: true)) { BaseAddress = App.Address };
            Admin.DefaultRequestHeaders.Add("X-Api-Key", App.AdminKey);
        }
        else
        {
            Admin = App.Client(App.AdminKey);
        }

        Anonymous = new HttpClient(TrustingHandler(followRedirects: false)) { BaseAddress = App.Address };
        using JsonDocument discovery = JsonDocument.Parse(await Anonymous.GetStringAsync("/.well-known/openid-configuration"));
        Issuer = discovery.RootElement.GetProperty("issuer").GetString()!;
        Oidc = new OidcClient(Anonymous, Issuer, () => TrustingHandler(followRedirects: false));

        string configuration = (await Admin.CreateAsync("/api/v1/configurations", new { name = "cfg" })).Id;
        SiteName = "site-one";
        SiteId = (await Admin.CreateAsync("/api/v1/sites", new { name = SiteName, publicAddress = "198.18.1.1", serverConfigurationId = configuration })).Id;
        AllowedGroupName = "vpn-users";
        AllowedGroupId = (await Admin.CreateAsync("/api/v1/groups", new { name = AllowedGroupName })).Id;
        await Admin.CreateAsync("/api/v1/conditional-access-policies", new { name = "vpn", groupIds = new[] { AllowedGroupId }, siteIds = new[] { SiteId } });
        await Admin.CreateAsync("/api/v1/compliance-policies", new { name = "baseline", requireDiskEncryption = true, requireFirewall = true });
    }

    /// <summary>Creates a user with <see cref="Password"/>, in the allowed group unless told otherwise.</summary>
    public async Task<TestUser> CreateUserAsync(bool inAllowedGroup = true, bool enabled = true)
    {
        string name = ManagementAppFixture.Unique("user");
        ApiResponse user = await Admin.CreateAsync("/api/v1/users", new
        {
            name,
            displayName = "Test " + name,
            enabled,
            groupIds = inAllowedGroup ? new[] { AllowedGroupId } : [],
        });
        ApiResponse password = await Admin.SendAsync(HttpMethod.Put, $"/api/v1/users/{user.Id}/password", new { password = Password });
        Assert.Equal(HttpStatusCode.NoContent, password.Status);
        return new TestUser(user.Id, name);
    }

    /// <summary>Signs the user in with the device flow (scope opentunnel.device), enrols a new device key with the posture, and returns the device.</summary>
    public async Task<TestDevice> EnrolDeviceAsync(TestUser user, bool compliant = true)
    {
        TokenResponse signIn = await Oidc.DeviceFlowAsync(user.Name, Password, "openid opentunnel.device");
        using var client = new HttpClient(TrustingHandler(followRedirects: true)) { BaseAddress = App.Address };
        return await TestDevice.EnrolAsync(client, signIn.AccessToken!, diskEncrypted: compliant);
    }

    public async Task DisposeAsync()
    {
        Anonymous?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

public sealed record TestUser(string Id, string Name);
