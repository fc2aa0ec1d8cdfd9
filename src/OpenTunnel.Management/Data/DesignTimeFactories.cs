using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OpenTunnel.Management.Data;

/// <summary>
/// Lets `dotnet ef migrations add NAME --context SqliteManagementDbContext -o Data/Migrations/Sqlite`
/// build the context without starting the service. No database is opened.
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteManagementDbContext>
{
    public SqliteManagementDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<SqliteManagementDbContext>)DatabaseRegistration
            .UseSqlite(new DbContextOptionsBuilder<SqliteManagementDbContext>(), "Data Source=design.db").Options);
}

/// <summary>The same for `--context PostgresManagementDbContext -o Data/Migrations/Postgres`.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresManagementDbContext>
{
    public PostgresManagementDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<PostgresManagementDbContext>)DatabaseRegistration
            .UsePostgres(new DbContextOptionsBuilder<PostgresManagementDbContext>(), "Host=localhost").Options);
}
