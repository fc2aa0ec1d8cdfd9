using System.Net;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.AccessLog;

/// <summary>What became of a batch: the acknowledgement, or why the batch was refused.</summary>
public sealed record AccessLogIngestResult(AccessRecordAcknowledgement? Acknowledgement, ValidationErrors Errors, bool Conflict);

/// <summary>
/// Stores the access records an agent sends, once per record id: records already held are
/// counted as duplicates and skipped, so an agent can send a batch again when it lost the answer.
/// Each record gets the sending server's name and site as they are now.
/// </summary>
public sealed partial class AccessLogIngest(ManagementDbContext db, TimeProvider clock, ILogger<AccessLogIngest> logger)
{
    /// <summary>A session that ended further in the future than this is refused: the gateway's clock is wrong.</summary>
    public static readonly TimeSpan MaximumClockAhead = TimeSpan.FromMinutes(10);

    public async Task<AccessLogIngestResult> IngestAsync(Guid serverId, AccessRecordBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        ValidationErrors errors = Validate(batch, now);
        if (!errors.IsValid)
        {
            return new AccessLogIngestResult(null, errors, false);
        }

        var ids = new List<Guid>(batch.Records.Count);
        foreach (AccessRecord record in batch.Records)
        {
            ids.Add(record.Id);
        }

        var known = new HashSet<Guid>(await db.AccessLog.AsNoTracking().Where(a => ids.Contains(a.RecordId)).Select(a => a.RecordId).ToListAsync(cancellationToken));
        var server = await db.Servers.AsNoTracking().Where(s => s.Id == serverId)
            .Select(s => new { s.Name, s.SiteId, SiteName = db.Sites.Where(site => site.Id == s.SiteId).Select(site => site.Name).FirstOrDefault() })
            .FirstOrDefaultAsync(cancellationToken);
        int stored = 0;
        foreach (AccessRecord record in batch.Records)
        {
            if (!known.Add(record.Id))
            {
                continue;
            }

            db.AccessLog.Add(new AccessLogEntry
            {
                RecordId = record.Id,
                ServerId = serverId,
                ServerName = server?.Name ?? string.Empty,
                SiteId = server?.SiteId ?? Guid.Empty,
                SiteName = server?.SiteName ?? string.Empty,
                GatewaySessionId = record.GatewaySessionId,
                UserName = record.User,
                Subject = record.Subject,
                DeviceId = record.DeviceId,
                ClientAddress = record.ClientAddress,
                Address = record.Address,
                Address6 = record.Address6,
                StartedAt = record.StartedAt,
                EndedAt = record.EndedAt,
                Reason = record.Reason,
                BytesIn = record.BytesIn,
                BytesOut = record.BytesOut,
                ReceivedAt = now,
            });
            stored++;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e)
        {
            // Another replica stored one of these records at the same moment; the agent sends the batch again.
            LogIngestRace(logger, serverId, e.InnerException?.Message ?? e.Message);
            return new AccessLogIngestResult(null, errors, true);
        }

        return new AccessLogIngestResult(new AccessRecordAcknowledgement(stored, batch.Records.Count - stored), errors, false);
    }

    /// <summary>1 to <see cref="AccessRecordBatch.MaximumRecords"/> records, each with an id, a user, addresses, an end not before its start and not in the future, and counts that are not negative.</summary>
    internal static ValidationErrors Validate(AccessRecordBatch batch, DateTime now)
    {
        var errors = new ValidationErrors();
        if (batch.Records is null || batch.Records.Count == 0)
        {
            errors.Add("records", "is empty: send at least one record.");
            return errors;
        }

        if (batch.Records.Count > AccessRecordBatch.MaximumRecords)
        {
            errors.Add("records", $"holds {batch.Records.Count} records; at most {AccessRecordBatch.MaximumRecords} are taken at once.");
            return errors;
        }

        for (int i = 0; i < batch.Records.Count; i++)
        {
            AccessRecord record = batch.Records[i];
            string at = $"records[{i}]";
            errors.RequireId($"{at}.id", record.Id, "is required: the id the gateway gave the record.");
            errors.RequireName($"{at}.user", record.User, AccessLogEntry.MaximumText);
            errors.RequireName($"{at}.reason", record.Reason, AccessLogEntry.MaximumText);
            RequireLength(errors, $"{at}.subject", record.Subject);
            RequireLength(errors, $"{at}.deviceId", record.DeviceId);
            if (!IPEndPoint.TryParse(record.ClientAddress ?? string.Empty, out _))
            {
                errors.Add($"{at}.clientAddress", $"'{record.ClientAddress}' is not an address and port.");
            }

            RequireAddress(errors, $"{at}.address", record.Address, System.Net.Sockets.AddressFamily.InterNetwork);
            RequireAddress(errors, $"{at}.address6", record.Address6, System.Net.Sockets.AddressFamily.InterNetworkV6);
            if (record.EndedAt < record.StartedAt)
            {
                errors.Add($"{at}.endedAt", $"is {record.EndedAt:O}, before the start {record.StartedAt:O}.");
            }

            if (record.EndedAt > now + MaximumClockAhead)
            {
                errors.Add($"{at}.endedAt", $"is {record.EndedAt:u}, more than {MaximumClockAhead.TotalMinutes} minutes ahead of the service's clock ({now:u}): check the server's time.");
            }

            errors.RequireRange($"{at}.bytesIn", record.BytesIn, 0, long.MaxValue);
            errors.RequireRange($"{at}.bytesOut", record.BytesOut, 0, long.MaxValue);
        }

        return errors;
    }

    internal static void RequireLength(ValidationErrors errors, string field, string? value)
    {
        if (value is { Length: > AccessLogEntry.MaximumText })
        {
            errors.Add(field, $"is {value.Length} characters long; at most {AccessLogEntry.MaximumText} are allowed.");
        }
    }

    internal static void RequireAddress(ValidationErrors errors, string field, string? value, System.Net.Sockets.AddressFamily family)
    {
        if (value is not null && (!IPAddress.TryParse(value, out IPAddress? address) || address.AddressFamily != family))
        {
            errors.Add(field, $"'{value}' is not an {(family == System.Net.Sockets.AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address.");
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Access records of server {ServerId} met a concurrent write ({Reason}); the agent sends the batch again.")]
    private static partial void LogIngestRace(ILogger logger, Guid serverId, string reason);
}
