using Microsoft.Data.Sqlite;
using OpenTunnel.Management.Data;
using OpenTunnel.Testing;

namespace OpenTunnel.Management.Tests.Data;

[Trait("Category", "Unit")]
public sealed class SqliteReadOnlyConnectionsTests
{
    [Fact]
    public void ConnectionOpenedReadOnly_IsNotReturnedToThePool_AWritableOneIs()
    {
        using var directory = new TemporaryDirectory();
        string file = directory.File("test.db");
        using (var create = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            create.Open();
            using SqliteCommand command = create.CreateCommand();
            command.CommandText = "CREATE TABLE t (a INTEGER)";
            command.ExecuteNonQuery();
        }

        // Mode=ReadOnly opens the file read-only, as SQLite does by itself when it cannot open it for writing.
        string readOnly = $"Data Source={file};Mode=ReadOnly;Pooling=True";
        string writable = $"Data Source={file};Mode=ReadWrite;Pooling=True";
        try
        {
            SQLitePCL.sqlite3 first = OpenAndClose(readOnly, forget: false, expectReadOnly: true);
            SQLitePCL.sqlite3 pooled = OpenAndClose(readOnly, forget: true, expectReadOnly: true);
            Assert.Same(first, pooled); // the pool hands the same connection out again...
            Assert.NotSame(pooled, OpenAndClose(readOnly, forget: false, expectReadOnly: true)); // ...until it was forgotten

            SQLitePCL.sqlite3 kept = OpenAndClose(writable, forget: true, expectReadOnly: false);
            Assert.Same(kept, OpenAndClose(writable, forget: false, expectReadOnly: false));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    private static SQLitePCL.sqlite3 OpenAndClose(string connectionString, bool forget, bool expectReadOnly)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Assert.Equal(expectReadOnly, SqliteReadOnlyConnections.IsReadOnly(connection));
        if (forget)
        {
            SqliteReadOnlyConnections.ForgetIfReadOnly(connection);
        }

        return connection.Handle!;
    }
}
