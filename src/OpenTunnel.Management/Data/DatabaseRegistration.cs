using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Settings;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Management.Data;

/// <summary>Chooses the provider from the settings when a context is first asked for.</summary>
public static class DatabaseRegistration
{
    /// <summary>The advisory lock id that replicas on one PostgreSQL take in turn to migrate ("OTMIGRAT").</summary>
    private const long MigrationLock = 0x4F544D4947524154;

    /// <summary>
    /// Registers both provider contexts and <see cref="ManagementDbContext"/> as the one the
    /// settings choose: PostgreSQL when Management:PostgresConnectionString is set, else SQLite.
    /// </summary>
    public static IServiceCollection AddManagementDatabase(this IServiceCollection services)
    {
        // Interceptors registered by parts hosted here (the identity provider's access events) see every save.
        services.AddDbContext<SqliteManagementDbContext>((sp, o) =>
            UseSqlite(o, SqliteConnectionString(sp.GetRequiredService<IOptions<ManagementOptions>>().Value.SqlitePath)).AddInterceptors(sp.GetServices<IInterceptor>()));
        services.AddDbContext<PostgresManagementDbContext>((sp, o) =>
            UsePostgres(o, sp.GetRequiredService<IOptions<ManagementOptions>>().Value.PostgresConnectionString!).AddInterceptors(sp.GetServices<IInterceptor>()));
        services.AddScoped<ManagementDbContext>(sp => sp.GetRequiredService<IOptions<ManagementOptions>>().Value.UsesPostgres
            ? sp.GetRequiredService<PostgresManagementDbContext>()
            : sp.GetRequiredService<SqliteManagementDbContext>());
        return services;
    }

    public static string SqliteConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
    }.ToString();

    internal static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseSqlite(connectionString).AddInterceptors(SqliteLockWaiting.Instance, SqliteReadOnlyConnections.Instance);

    internal static DbContextOptionsBuilder UsePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString);

    /// <summary>
    /// Creates the data directory mode 0700 (it holds the SQLite file, the first administrator key
    /// and the key folders; an existing one is tightened), the SQLite file mode 0600, and applies
    /// pending migrations. EF Core takes a migration lock (a lock table on SQLite); on PostgreSQL a
    /// session advisory lock is held around the migration as well, so replicas starting together
    /// on one fresh database do not migrate twice.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, ManagementOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        OwnerOnlyFiles.CreateDirectory(options.DataDirectory);
        if (!options.UsesPostgres)
        {
            PrepareSqliteFile(options.SqlitePath);
        }

        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        if (!options.UsesPostgres)
        {
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }

        // EF Core's own lock on PostgreSQL needs its history table, which two replicas starting on
        // a fresh database would both create; an advisory lock held around the whole migration
        // lets one migrate while the other waits and then finds nothing to do.
        await using var connection = new Npgsql.NpgsqlConnection(options.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLock})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await using var release = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLock})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// SQLite creates its file with the process umask (usually 0644) and gives its journal and WAL
    /// files the database file's mode: made 0600 before SQLite first opens it, and an existing
    /// file (and journal) tightened to 0600.
    /// </summary>
    private static void PrepareSqliteFile(string path)
    {
        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFiles.FileMode });
        }

        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(file))
            {
                File.SetUnixFileMode(file, OwnerOnlyFiles.FileMode);
            }
        }
    }
}
