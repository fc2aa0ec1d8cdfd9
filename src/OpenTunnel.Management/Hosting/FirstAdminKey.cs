using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Auth;
using OpenTunnel.Management.Settings;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// At first start (no API key stored yet) creates a full-admin key and writes it to
/// DATA_DIRECTORY/admin-api-key readable only by its owner, so the CLI and run.sh can sign in.
/// The key itself is never printed or logged (standard output ends up in log files and the
/// journal, readable by more people than the key file): only the file's path is, in a log line
/// of the service's log format.
/// </summary>
public static partial class FirstAdminKey
{
    public const string KeyName = "first-admin";

    public static async Task EnsureAsync(IServiceProvider services, ManagementOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        if (await db.ApiKeys.AnyAsync(cancellationToken))
        {
            return;
        }

        string secret = ApiKeySecret.NewApiKey();
        DateTime now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var key = new ApiKey { Id = Guid.NewGuid(), Name = KeyName, Role = ManagementRoles.FullAdmin, KeyHash = ApiKeySecret.Hash(secret), CreatedAt = now, UpdatedAt = now };
        db.ApiKeys.Add(key);
        AuditTrail.Record(db, AuditTrail.SystemActor, AuditAction.Created, key, key.Id, null, AuditTrail.Snapshot(key), now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another replica on the same PostgreSQL created it first; that one printed it.
            LogCreatedElsewhere(logger);
            return;
        }

        Directory.CreateDirectory(options.DataDirectory);
        OwnerOnlyFiles.WriteAtomically(options.AdminKeyPath, secret + Environment.NewLine);

        LogCreated(logger, options.AdminKeyPath);
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Created the first administrator API key in {Path} (mode 0600, readable only by this service's user); it is not printed. Store it elsewhere and create named keys for people and automation.")]
    private static partial void LogCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Another replica created the first API key; not creating one here.")]
    private static partial void LogCreatedElsewhere(ILogger logger);
}
