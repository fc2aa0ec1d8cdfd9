using Microsoft.Extensions.Options;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// Before the service answers requests: brings the schema up to date (creating the SQLite file
/// at first start) and creates the first administrator key if there is none.
/// </summary>
internal sealed partial class DatabaseStartup(IServiceProvider services, IOptions<ManagementOptions> options, ILogger<DatabaseStartup> logger) : IHostedService
{
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
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Database: SQLite file {Path}.")]
    private static partial void LogSqlite(ILogger logger, string path);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Database: PostgreSQL {Host}:{Port}, database {Database}.")]
    private static partial void LogPostgres(ILogger logger, string? host, int port, string? database);
}
