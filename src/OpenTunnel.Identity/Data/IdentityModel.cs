using Microsoft.EntityFrameworkCore;

namespace OpenTunnel.Identity.Data;

/// <summary>
/// The identity provider's tables in the hosting service's model: OpenIddict's applications,
/// authorizations, scopes and tokens, and the provider's own credentials, device keys, used
/// device assertions, access events and federated logins. The host calls it from its <c>OnModelCreating</c>.
/// </summary>
public static class IdentityModel
{
    public static ModelBuilder AddOpenTunnelIdentity(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.UseOpenIddict();

        var credential = modelBuilder.Entity<UserCredential>();
        credential.ToTable("IdentityUserCredentials");
        credential.HasKey(c => c.UserId);

        var key = modelBuilder.Entity<DeviceKey>();
        key.ToTable("IdentityDeviceKeys");
        key.HasKey(k => k.DeviceId);
        key.HasIndex(k => k.Thumbprint).IsUnique();
        key.Property(k => k.Thumbprint).HasMaxLength(64);

        var used = modelBuilder.Entity<UsedDeviceAssertion>();
        used.ToTable("IdentityUsedDeviceAssertions");
        used.Property(u => u.Id).HasMaxLength(200);
        used.HasIndex(u => u.ExpiresAt);

        var access = modelBuilder.Entity<AccessEvent>();
        access.ToTable("IdentityAccessEvents");
        access.HasIndex(e => e.DeliveredAt);
        access.Property(e => e.Reason).HasMaxLength(500);
        access.Property(e => e.UserName).HasMaxLength(128);
        access.Ignore(e => e.Target);

        var federated = modelBuilder.Entity<FederatedLogin>();
        federated.ToTable("IdentityFederatedLogins");
        federated.HasIndex(l => new { l.Issuer, l.Subject }).IsUnique();
        federated.HasIndex(l => l.UserId);
        federated.Property(l => l.Issuer).HasMaxLength(500);
        federated.Property(l => l.Subject).HasMaxLength(255);
        return modelBuilder;
    }
}
