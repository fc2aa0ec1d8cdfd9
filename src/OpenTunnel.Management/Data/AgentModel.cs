using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Data;

/// <summary>
/// The tables of the agent link: client certificates, telemetry, configuration reports,
/// commands and the health thresholds. Everything a server has goes with it when it is deleted.
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
    }
}
