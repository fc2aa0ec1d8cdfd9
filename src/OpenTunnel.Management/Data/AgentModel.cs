using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Data;

/// <summary>
/// The tables of the agent link: client certificates, telemetry, configuration reports,
/// commands, the health thresholds, the access log and the newest session snapshot of each server. Everything a server has goes with it when
/// it is deleted, except its access log, which is kept for its retention time.
/// </summary>
internal static class AgentModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        var certificate = modelBuilder.Entity<AgentCertificate>();
        certificate.HasIndex(c => c.Thumbprint).IsUnique();
        certificate.HasIndex(c => c.ServerId);
        certificate.Property(c => c.Thumbprint).HasMaxLength(64);
        certificate.Property(c => c.SerialNumber).HasMaxLength(64);
        certificate.HasOne<Server>().WithMany().HasForeignKey(c => c.ServerId).OnDelete(DeleteBehavior.Cascade);

        var telemetry = modelBuilder.Entity<ServerTelemetry>();
        telemetry.ComplexProperty(t => t.Sample);
        telemetry.HasIndex(t => new { t.ServerId, t.Sequence }).IsUnique();
        telemetry.HasIndex(t => t.ReceivedAt);
        telemetry.HasOne<Server>().WithMany().HasForeignKey(t => t.ServerId).OnDelete(DeleteBehavior.Cascade);

        var status = modelBuilder.Entity<AgentStatus>();
        status.HasKey(s => s.ServerId);
        status.HasOne<Server>().WithOne().HasForeignKey<AgentStatus>(s => s.ServerId).OnDelete(DeleteBehavior.Cascade);

        var command = modelBuilder.Entity<AgentCommand>();
        command.HasIndex(c => new { c.ServerId, c.State });
        command.HasOne<Server>().WithMany().HasForeignKey(c => c.ServerId).OnDelete(DeleteBehavior.Cascade);

        modelBuilder.Entity<HealthThresholds>().Property(t => t.Version).IsConcurrencyToken();

        var access = modelBuilder.Entity<AccessLogEntry>();
        access.ToTable("AccessLog");
        access.HasIndex(a => a.RecordId).IsUnique();
        access.HasIndex(a => new { a.EndedAt, a.Id });
        access.HasIndex(a => new { a.UserName, a.EndedAt });
        access.HasIndex(a => new { a.DeviceId, a.EndedAt });
        access.Property(a => a.ServerName).HasMaxLength(AccessLogEntry.MaximumText);
        access.Property(a => a.SiteName).HasMaxLength(AccessLogEntry.MaximumText);
        access.Property(a => a.UserName).HasMaxLength(AccessLogEntry.MaximumText);
        access.Property(a => a.Subject).HasMaxLength(AccessLogEntry.MaximumText);
        access.Property(a => a.DeviceId).HasMaxLength(AccessLogEntry.MaximumText);
        access.Property(a => a.ClientAddress).HasMaxLength(64);
        access.Property(a => a.Address).HasMaxLength(64);
        access.Property(a => a.Address6).HasMaxLength(64);
        access.Property(a => a.Reason).HasMaxLength(AccessLogEntry.MaximumText);

        var live = modelBuilder.Entity<LiveSessionEntry>();
        live.ToTable("LiveSessions");
        live.HasKey(l => new { l.ServerId, l.SessionId });
        live.HasIndex(l => l.UserName);
        live.HasIndex(l => l.DeviceId);
        live.Property(l => l.UserName).HasMaxLength(AccessLogEntry.MaximumText);
        live.Property(l => l.DeviceId).HasMaxLength(AccessLogEntry.MaximumText);
        live.Property(l => l.ClientAddress).HasMaxLength(64);
        live.Property(l => l.Address).HasMaxLength(64);
        live.Property(l => l.Address6).HasMaxLength(64);
        live.Property(l => l.Channel).HasMaxLength(8);
        live.HasOne<Server>().WithMany().HasForeignKey(l => l.ServerId).OnDelete(DeleteBehavior.Cascade);

        var snapshot = modelBuilder.Entity<SessionSnapshotStatus>();
        snapshot.ToTable("SessionSnapshots");
        snapshot.HasKey(s => s.ServerId);
        snapshot.HasOne<Server>().WithOne().HasForeignKey<SessionSnapshotStatus>(s => s.ServerId).OnDelete(DeleteBehavior.Cascade);
    }
}
