using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpenTunnel.Management.Data;

/// <summary>
/// Makes every SQLite connection wait for a lock held by another connection instead of failing at
/// once with "database is locked": SQLite's own busy handler (<c>PRAGMA busy_timeout</c>) covers
/// every step of a statement, including the later statements of a batch, which the driver's retry
/// on the first step does not. Several devices signing in at once each write a row; without it
/// some of them got a 500.
/// </summary>
internal sealed class SqliteLockWaiting : DbConnectionInterceptor
{
    public static readonly SqliteLockWaiting Instance = new();

    /// <summary>A statement waits up to 30 s for another connection's lock before failing.</summary>
    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using DbCommand command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
