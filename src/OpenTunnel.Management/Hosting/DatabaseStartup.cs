using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// Before the service answers requests: brings the schema up to date (creating the SQLite file
/// at first start), creates the first administrator key if there is none and, on PostgreSQL,
/// the first data-protection key of the replicas.
/// </summary>
internal sealed partial class DatabaseStartup(IServiceProvider services, IOptions<ManagementOptions> options, ILogger<DatabaseStartup> logger) : IHostedService
{
    /// <summary>The advisory lock id of the shared secrets' creation ("OTSECRET").</summary>
    private const long SharedSecretsLock = 0x4F54534543524554;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ManagementOptions settings = options.Value;
        if (settings.UsesPostgres)
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
            LogPostgres(logger, builder.Host, builder.Port, builder.Database);
        }
        else
        {
            LogSqlite(logger, settings.SqlitePath);
        }

        await DatabaseRegistration.MigrateAsync(services, settings, cancellationToken);
        await FirstAdminKey.EnsureAsync(services, settings, logger, cancellationToken);
        if (settings.UsesPostgres)
        {
            await EnsureSharedDataProtectionKeyAsync(settings.PostgresConnectionString!, cancellationToken);
        }
    }

    /// <summary>
    /// ASP.NET Core makes its first data-protection key when it first needs one; two replicas
    /// starting together would make one each, and each would sign its cookies with its own until
    /// it reads the other's. So the first key is made here, under a PostgreSQL advisory lock that
    /// replicas take in turn: the first makes it, the others find it.
    /// </summary>
    private async Task EnsureSharedDataProtectionKeyAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({SharedSecretsLock})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var keys = services.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>();
            DateTimeOffset now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(2)))
            {
                keys.CreateNewKey(now, now.AddDays(90));
                LogDataProtectionKeyCreated(logger);
            }
        }
        finally
        {
            await using var release = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_unlock({SharedSecretsLock})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Created the first data-protection key of the replicas in the database.")]
    private static partial void LogDataProtectionKeyCreated(ILogger logger);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Database: SQLite file {Path}.")]
    private static partial void LogSqlite(ILogger logger, string path);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Database: PostgreSQL {Host}:{Port}, database {Database}.")]
    private static partial void LogPostgres(ILogger logger, string? host, int port, string? database);
}
