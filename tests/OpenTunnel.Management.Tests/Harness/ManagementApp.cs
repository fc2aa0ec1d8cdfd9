using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTunnel.Management.Hosting;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>
/// The real service (Program, with its migrations, sign-in and first admin key) on a test
/// database, reached through ASP.NET Core's in-memory test server.
/// </summary>
public sealed class ManagementApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private ManagementApp(WebApplicationFactory<Program> factory, TestDatabase database)
    {
        _factory = factory;
        Database = database;
    }

    public TestDatabase Database { get; }

    /// <summary>The first full-admin key the service wrote to its data directory at first start.</summary>
    public string AdminKey => File.ReadAllText(Path.Combine(Database.DataDirectory, "admin-api-key")).Trim();

    public IServiceProvider Services => _factory.Services;

    /// <summary>A handler into the in-memory server, for clients built outside the factory (the CLI).</summary>
    public HttpMessageHandler CreateHandler() => _factory.Server.CreateHandler();

    /// <summary>The base address of a service started with <c>listen</c>, e.g. http://127.0.0.1:41234; null otherwise.</summary>
    public Uri? Address => _factory.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } addresses
        ? new Uri(addresses.First())
        : null;

    /// <summary>
    /// Starts the service. With <paramref name="listen"/> it also listens on 127.0.0.1 (a free
    /// port, <see cref="Address"/>), for clients that need a real socket (a gateway fetching the
    /// identity provider's discovery document); <paramref name="settings"/> are extra configuration
    /// and <paramref name="configure"/> changes the host further (e.g. a log collector);
    /// <paramref name="clock"/> replaces the system clock when given.
    /// </summary>
    public static ManagementApp Start(
        TestDatabase database,
        TestTokenIssuer? issuer,
        bool listen = false,
        IReadOnlyDictionary<string, string>? settings = null,
        Action<IWebHostBuilder>? configure = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        AppContext.SetSwitch(ManagementHost.ServeWithoutVerbSwitch, true);
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            // The agents' mutual-TLS endpoint (default 0.0.0.0:8444) stays off unless a test asks
            // for it, so that services listening side by side do not fight over its port.
            b.UseSetting("Management:Agents:Listen", string.Empty);
            foreach ((string key, string value) in settings ?? new Dictionary<string, string>())
            {
                b.UseSetting(key, value);
            }

            b.UseSetting("Management:DataDirectory", database.DataDirectory);
            if (database.PostgresConnectionString is not null)
            {
                b.UseSetting("Management:PostgresConnectionString", database.PostgresConnectionString);
            }

            if (issuer is not null)
            {
                b.UseSetting("Management:AdminTokens:Authority", issuer.Issuer);
                b.UseSetting("Management:AdminTokens:RequireHttpsMetadata", "false");
            }

            if (clock is not null)
            {
                b.ConfigureTestServices(services => services.AddSingleton(clock));
            }

            if (listen)
            {
                b.UseUrls("http://127.0.0.1:0");
                b.UseSetting("Management:Https:AllowLoopbackHttp", "true");
            }

            configure?.Invoke(b);
        });

        if (listen)
        {
            factory.UseKestrel();
            factory.StartServer();
        }

        // The first client starts the host: migrations run and the first key is written.
        factory.CreateClient().Dispose();
        return new ManagementApp(factory, database);
    }

    /// <summary>A client that sends <paramref name="apiKey"/> as X-Api-Key, or nothing when null.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        HttpClient client = _factory.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A client that sends "Authorization: Bearer TOKEN".</summary>
    public HttpClient BearerClient(string token)
    {
        HttpClient client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
}
