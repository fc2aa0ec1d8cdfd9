using Microsoft.EntityFrameworkCore;

namespace OpenTunnel.Management.Data;

/// <summary>The model on SQLite, with the migrations in Data/Migrations/Sqlite.</summary>
public sealed class SqliteManagementDbContext(DbContextOptions<SqliteManagementDbContext> options) : ManagementDbContext(options);

/// <summary>The model on PostgreSQL, with the migrations in Data/Migrations/Postgres.</summary>
public sealed class PostgresManagementDbContext(DbContextOptions<PostgresManagementDbContext> options) : ManagementDbContext(options);
