using Microsoft.AspNetCore.Mvc.Testing;

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

    public static ManagementApp Start(TestDatabase database, TestTokenIssuer? issuer)
    {
        ArgumentNullException.ThrowIfNull(database);
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
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
        });

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
