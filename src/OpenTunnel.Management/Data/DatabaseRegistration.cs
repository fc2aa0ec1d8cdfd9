using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Hosting;

namespace OpenTunnel.Management.Data;

/// <summary>Chooses the provider from the settings when a context is first asked for.</summary>
public static class DatabaseRegistration
{
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
        builder.UseSqlite(connectionString);

    internal static DbContextOptionsBuilder UsePostgres(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString);

    /// <summary>
    /// Creates the SQLite folder and applies pending migrations. EF Core takes a migration lock
    /// (a lock table on SQLite, an advisory lock on PostgreSQL), so replicas starting together
    /// on one PostgreSQL do not migrate twice.
    /// </summary>
    public static async Task MigrateAsync(IServiceProvider services, ManagementOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.UsesPostgres)
        {
            Directory.CreateDirectory(options.DataDirectory);
        }

        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }
}
