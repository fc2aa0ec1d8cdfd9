using Microsoft.EntityFrameworkCore;

namespace OpenTunnel.Identity.Data;

/// <summary>
/// The identity provider's tables in the hosting service's context (the same scoped instance the
/// host uses, so the provider's writes and the host's join one unit of work).
/// </summary>
public sealed class IdentityStore(DbContext context)
{
    public DbContext Context { get; } = context;

    public DbSet<UserCredential> Credentials => Context.Set<UserCredential>();

    public DbSet<DeviceKey> DeviceKeys => Context.Set<DeviceKey>();

    public DbSet<UsedDeviceAssertion> UsedDeviceAssertions => Context.Set<UsedDeviceAssertion>();

    public DbSet<AccessEvent> AccessEvents => Context.Set<AccessEvent>();

    public DbSet<FederatedLogin> FederatedLogins => Context.Set<FederatedLogin>();
}
