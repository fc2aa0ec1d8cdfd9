using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Management.Settings;

namespace OpenTunnel.Management.Data;

/// <summary>
/// The shared secrets of replicas in the table SharedSecrets, sealed with the key-encryption key
/// (<see cref="SecretEncryption"/>). Used when the database is PostgreSQL (replicas share it); on
/// SQLite the secrets stay files in the data directory. Parts of the service load their keys while
/// the host starts, possibly before the migrations have run, so the first use brings the schema
/// up to date (under EF Core's migration lock, like the start-up does).
/// </summary>
public sealed class DatabaseSecretStore : ISharedSecretStore
{
    private readonly IServiceProvider _services;
    private readonly ManagementOptions _options;
    private readonly Lazy<SecretEncryption> _encryption;

    public DatabaseSecretStore(IServiceProvider services, IOptions<ManagementOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _services = services;
        _options = options.Value;
        _encryption = new Lazy<SecretEncryption>(Prepare, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public IReadOnlyList<SharedSecretEntry> List(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        SecretEncryption encryption = _encryption.Value;
        using IServiceScope scope = _services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        List<SharedSecret> rows = [.. db.Set<SharedSecret>().AsNoTracking().Where(s => s.Name.StartsWith(prefix)).OrderBy(s => s.Name)];
        return rows.ConvertAll(r => new SharedSecretEntry(r.Name, encryption.Unprotect(r.Name, r.Value), new DateTimeOffset(r.CreatedAt, TimeSpan.Zero)));
    }

    public bool TryAdd(string name, string value, DateTimeOffset createdAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        string sealedValue = _encryption.Value.Protect(name, value);
        DateTime at = createdAt.UtcDateTime;
        using IServiceScope scope = _services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();

        // The primary key decides between replicas that add the same name at once.
        int added = db.Database.ExecuteSql($"""INSERT INTO "SharedSecrets" ("Name", "Value", "CreatedAt") VALUES ({name}, {sealedValue}, {at}) ON CONFLICT ("Name") DO NOTHING""");
        return added == 1;
    }

    public void Delete(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        _ = _encryption.Value;
        using IServiceScope scope = _services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        db.Set<SharedSecret>().Where(s => s.Name == name).ExecuteDelete();
    }

    /// <summary>The key-encryption key (created on first use when missing) and an up-to-date schema.</summary>
    private SecretEncryption Prepare()
    {
        SecretEncryption encryption = SecretEncryption.LoadOrCreate(_options.SecretsKeyPath, create: true);
        DatabaseRegistration.MigrateAsync(_services, _options, CancellationToken.None).GetAwaiter().GetResult();
        return encryption;
    }
}
