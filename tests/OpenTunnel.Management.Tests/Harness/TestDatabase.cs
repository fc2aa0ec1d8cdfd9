using Npgsql;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Harness;

/// <summary>
/// A database of the test's own: a SQLite file in a fresh folder, or a fresh database on the
/// PostgreSQL server that the test command starts (OPENTUNNEL_TEST_POSTGRES). Dropped at the end.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "OPENTUNNEL_TEST_POSTGRES";

    private readonly string? _adminConnectionString;
    private readonly TemporaryDirectory _dataDirectory = new();

    private TestDatabase(string? connectionString, string? adminConnectionString, string? databaseName)
    {
        PostgresConnectionString = connectionString;
        _adminConnectionString = adminConnectionString;
        DatabaseName = databaseName;
    }

    /// <summary>The service's data directory (the SQLite file and the first admin key live here).</summary>
    public string DataDirectory => _dataDirectory.Path;

    /// <summary>Null for SQLite.</summary>
    public string? PostgresConnectionString { get; }

    public string? DatabaseName { get; }

    public static Task<TestDatabase> CreateAsync(DatabaseKind kind) => kind == DatabaseKind.Sqlite ? Task.FromResult(CreateSqlite()) : CreatePostgresAsync();

    public static TestDatabase CreateSqlite() => new(null, null, null);

    public static async Task<TestDatabase> CreatePostgresAsync()
    {
        string admin = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new PrerequisiteMissingException(
                $"This test needs PostgreSQL: {PostgresVariable} is not set. Run it through ./test.sh, which installs postgresql (apt-get install postgresql) and starts a throw-away server, or set {PostgresVariable} to a connection string of a user that may create databases.");
        string name = $"ot_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        string database = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
        return new TestDatabase(database, admin, name);
    }

    public async ValueTask DisposeAsync()
    {
        await DropPostgresAsync();
        _dataDirectory.Dispose();
    }

    /// <summary>Drops the PostgreSQL database now, closing the connections the service holds (it becomes unreachable); nothing for SQLite.</summary>
    public async Task DropPostgresAsync()
    {
        if (_adminConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}

public enum DatabaseKind
{
    Sqlite,
    Postgres,
}
