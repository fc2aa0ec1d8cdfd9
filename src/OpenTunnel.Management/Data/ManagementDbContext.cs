using Microsoft.EntityFrameworkCore;
using OpenTunnel.Identity.Data;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Data;

/// <summary>
/// The management database. One model for both providers; each provider has its own subclass
/// only so that it has its own migration set (<see cref="SqliteManagementDbContext"/>,
/// <see cref="PostgresManagementDbContext"/>). Parts hosted in this process later (identity,
/// agent link) add their sets here and their configuration in <see cref="OnModelCreating"/>.
/// </summary>
public abstract class ManagementDbContext : DbContext
{
    protected ManagementDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<ServerConfiguration> ServerConfigurations => Set<ServerConfiguration>();

    public DbSet<Site> Sites => Set<Site>();

    public DbSet<Server> Servers => Set<Server>();

    public DbSet<EnrolmentToken> EnrolmentTokens => Set<EnrolmentToken>();

    public DbSet<VpnProfile> VpnProfiles => Set<VpnProfile>();

    public DbSet<Device> Devices => Set<Device>();

    public DbSet<CompliancePolicy> CompliancePolicies => Set<CompliancePolicy>();

    public DbSet<ConditionalAccessPolicy> ConditionalAccessPolicies => Set<ConditionalAccessPolicy>();

    public DbSet<User> Users => Set<User>();

    public DbSet<Group> Groups => Set<Group>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<AgentCertificate> AgentCertificates => Set<AgentCertificate>();

    public DbSet<ServerTelemetry> ServerTelemetry => Set<ServerTelemetry>();

    public DbSet<AgentStatus> AgentStatuses => Set<AgentStatus>();

    public DbSet<AgentCommand> AgentCommands => Set<AgentCommand>();

    public DbSet<HealthThresholds> HealthThresholds => Set<HealthThresholds>();

    public DbSet<AccessLogEntry> AccessLog => Set<AccessLogEntry>();

    public DbSet<LiveSessionEntry> LiveSessions => Set<LiveSessionEntry>();

    public DbSet<SessionSnapshotStatus> SessionSnapshots => Set<SessionSnapshotStatus>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // Every time is UTC. SQLite gives DateTime back without a kind, and PostgreSQL's
        // timestamptz refuses a DateTime that is not UTC; one converter makes both exact.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();

        // Enums are stored by name so that the database reads the same as the API.
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var configuration = ConfigureManaged<ServerConfiguration>(modelBuilder);
        configuration.HasIndex(c => c.Name).IsUnique();
        configuration.Property(c => c.LoadBalancing).HasJsonConversion();
        configuration.Property(c => c.GroupPolicies).HasJsonConversion();
        configuration.Property(c => c.UnmanagedAccess).HasJsonConversion();

        var site = ConfigureManaged<Site>(modelBuilder);
        site.HasIndex(s => s.Name).IsUnique();
        site.HasOne<ServerConfiguration>().WithMany().HasForeignKey(s => s.ServerConfigurationId).OnDelete(DeleteBehavior.Restrict);
        site.Property(s => s.MaintenanceWindow).HasJsonConversion();

        var server = ConfigureManaged<Server>(modelBuilder);
        server.HasOne<Site>().WithMany().HasForeignKey(s => s.SiteId).OnDelete(DeleteBehavior.Restrict);
        server.HasIndex(s => new { s.SiteId, s.Name }).IsUnique();

        var token = modelBuilder.Entity<EnrolmentToken>();
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasOne<Site>().WithMany().HasForeignKey(t => t.SiteId).OnDelete(DeleteBehavior.Cascade);

        var profile = ConfigureManaged<VpnProfile>(modelBuilder);
        profile.HasIndex(p => p.Name);
        profile.HasOne<Site>().WithMany().HasForeignKey(p => p.SiteId).OnDelete(DeleteBehavior.Restrict);
        profile.Property(p => p.OnDemandRules).HasJsonConversion();
        profile.Property(p => p.TrustedNetwork).HasJsonConversion();
        profile.Property(p => p.Proxy).HasJsonConversion();

        var device = ConfigureManaged<Device>(modelBuilder);
        device.HasOne<User>().WithMany().HasForeignKey(d => d.OwnerId).OnDelete(DeleteBehavior.Restrict);

        ConfigureManaged<CompliancePolicy>(modelBuilder).HasIndex(p => p.Name).IsUnique();
        ConfigureManaged<ConditionalAccessPolicy>(modelBuilder).HasIndex(p => p.Name).IsUnique();
        ConfigureManaged<User>(modelBuilder).HasIndex(u => u.Name).IsUnique();
        ConfigureManaged<Group>(modelBuilder).HasIndex(g => g.Name).IsUnique();

        var apiKey = ConfigureManaged<ApiKey>(modelBuilder);
        apiKey.HasIndex(k => k.KeyHash).IsUnique();
        apiKey.HasIndex(k => k.Name).IsUnique();

        var audit = modelBuilder.Entity<AuditEntry>();
        audit.HasIndex(a => a.At);
        audit.HasIndex(a => new { a.EntityType, a.EntityId });

        AgentModel.Configure(modelBuilder);

        var secret = modelBuilder.Entity<SharedSecret>();
        secret.ToTable("SharedSecrets");
        secret.HasKey(s => s.Name);
        secret.Property(s => s.Name).HasMaxLength(200);

        // The embedded identity provider's tables (OpenIddict's and its credentials, device keys, access events).
        modelBuilder.AddOpenTunnelIdentity();
    }

    private static Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> ConfigureManaged<T>(ModelBuilder modelBuilder)
        where T : ManagedObject
    {
        var entity = modelBuilder.Entity<T>();
        entity.Property(e => e.Version).IsConcurrencyToken();
        entity.HasIndex(e => e.UpdatedAt);
        return entity;
    }
}
