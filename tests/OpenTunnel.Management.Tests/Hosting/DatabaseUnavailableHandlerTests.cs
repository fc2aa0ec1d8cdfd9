using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OpenTunnel.Management.Hosting;

namespace OpenTunnel.Management.Tests.Hosting;

[Trait("Category", "Unit")]
public sealed class DatabaseUnavailableHandlerTests
{
    [Fact]
    public void TransientCause_RefusedConnectionWrappedByEfCore_IsFound()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Same(refused, DatabaseUnavailableHandler.TransientCause(new InvalidOperationException("transient failure", refused)));
        Assert.Same(refused, DatabaseUnavailableHandler.TransientCause(new DbUpdateException("save failed", refused)));
    }

    [Fact]
    public void TransientCause_ServerShuttingDown_IsFound()
    {
        var shutdown = new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01");

        Assert.Same(shutdown, DatabaseUnavailableHandler.TransientCause(shutdown));
    }

    [Fact]
    public void TransientCause_SqliteFileLockedPastTheBusyTimeout_IsFound_OtherSqliteErrorsAreNot()
    {
        var busy = new SqliteException("SQLite Error 5: 'database is locked'.", 5);
        var constraint = new SqliteException("SQLite Error 19: 'UNIQUE constraint failed'.", 19);

        Assert.Same(busy, DatabaseUnavailableHandler.TransientCause(new DbUpdateException("save failed", busy)));
        Assert.Null(DatabaseUnavailableHandler.TransientCause(new DbUpdateException("save failed", constraint)));
    }

    [Fact]
    public void Cause_NamesWhatIsWrong_ReadOnlyFullLockedOrUnreachable()
    {
        Assert.Equal("locked", DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 5: 'database is locked'.", 5))?.Cause);
        Assert.Equal("read-only", DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 8: 'attempt to write a readonly database'.", 8))?.Cause);
        Assert.Equal("read-only", DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 14: 'unable to open database file'.", 14))?.Cause);
        Assert.Equal("disk-full", DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 13: 'database or disk is full'.", 13))?.Cause);
        Assert.Equal("io-error", DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 10: 'disk I/O error'.", 10))?.Cause);
        Assert.Equal("unreachable", DatabaseUnavailableHandler.Cause(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)))?.Cause);
        Assert.Null(DatabaseUnavailableHandler.Cause(new SqliteException("SQLite Error 19: 'UNIQUE constraint failed'.", 19)));
        Assert.NotNull(DatabaseUnavailableHandler.TransientCause(new DbUpdateException("save failed", new SqliteException("SQLite Error 8: 'attempt to write a readonly database'.", 8))));
    }

    [Fact]
    public void TransientCause_ConstraintViolationOrOtherError_IsNull()
    {
        var duplicate = new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505");

        Assert.Null(DatabaseUnavailableHandler.TransientCause(new DbUpdateException("save failed", duplicate)));
        Assert.Null(DatabaseUnavailableHandler.TransientCause(new InvalidOperationException("a bug")));
    }
}
