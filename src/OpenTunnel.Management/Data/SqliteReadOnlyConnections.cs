using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpenTunnel.Management.Data;

/// <summary>
/// Keeps a connection that SQLite opened read-only out of the pool. When the file or its folder
/// cannot be written (a read-only mount, a changed mode), SQLite opens the file read-only instead
/// of failing, and such a connection stays read-only for its life: pooled, it would refuse every
/// write after the file is writable again, until the service restarted. Such a connection serves
/// its one request (reads work) and is closed after it; the next one is opened afresh.
/// </summary>
internal sealed class SqliteReadOnlyConnections : DbConnectionInterceptor
{
    public static readonly SqliteReadOnlyConnections Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => ForgetIfReadOnly(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetIfReadOnly(connection);
        return Task.CompletedTask;
    }

    /// <summary>True when SQLite opened the main database of <paramref name="connection"/> read-only.</summary>
    public static bool IsReadOnly(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1;

    /// <summary>Lets <paramref name="connection"/> be closed, not pooled, when it is closed, if SQLite opened it read-only.</summary>
    internal static void ForgetIfReadOnly(DbConnection connection)
    {
        if (connection is SqliteConnection sqlite && IsReadOnly(sqlite))
        {
            // Discards this connection's pool: idle connections are closed, open ones (this one) when they are closed.
            SqliteConnection.ClearPool(sqlite);
        }
    }
}
