using System.Net;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>
/// One service on its own database for one test class: the same test code runs on SQLite
/// (<see cref="SqliteApp"/>) and on PostgreSQL (<see cref="PostgresApp"/>). Tests in a class
/// share it, so each test names its objects uniquely (<see cref="Unique"/>).
/// </summary>
public abstract class ManagementAppFixture(DatabaseKind kind) : IAsyncLifetime
{
    private TestDatabase? _database;

    public DatabaseKind Kind { get; } = kind;

    public TestTokenIssuer Issuer { get; private set; } = null!;

    public ManagementApp App { get; private set; } = null!;

    /// <summary>Signed in with the first full-admin key.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Signed in with a read-only key.</summary>
    public HttpClient ReadOnly { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public string ReadOnlyKey { get; private set; } = null!;

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public async Task InitializeAsync()
    {
        Issuer = await TestTokenIssuer.StartAsync();
        _database = await TestDatabase.CreateAsync(Kind);
        App = ManagementApp.Start(_database, Issuer);
        Admin = App.Client(App.AdminKey);
        Anonymous = App.Client();
        ApiResponse created = await Admin.SendAsync(HttpMethod.Post, "/api/v1/api-keys", new { name = "reader", role = "read-only" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        ReadOnlyKey = created.Json.GetProperty("key").GetString()!;
        ReadOnly = App.Client(ReadOnlyKey);
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (Issuer is not null)
        {
            await Issuer.DisposeAsync();
        }
    }
}

public sealed class SqliteApp() : ManagementAppFixture(DatabaseKind.Sqlite);

public sealed class PostgresApp() : ManagementAppFixture(DatabaseKind.Postgres);
