using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Management.AccessLog;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Agents;

/// <summary>What became of a snapshot: stored, older than the one held (ignored), refused with the reasons, or met a concurrent write.</summary>
public enum SessionSnapshotOutcome
{
    Stored,
    Stale,
    Invalid,
    Conflict,
}

/// <summary>
/// Keeps the newest session snapshot of each server in the database, so that every replica on
/// one PostgreSQL lists the same sessions: a snapshot replaces the server's sessions as a whole,
/// in one transaction, unless the service already holds one taken later (a slow request that
/// arrives after a newer one at another replica).
/// </summary>
public sealed partial class SessionSnapshotIngest(ManagementDbContext db, TimeProvider clock, ILogger<SessionSnapshotIngest> logger)
{
    /// <summary>A snapshot taken further in the future than this is refused: the agent's clock is wrong.</summary>
    public static readonly TimeSpan MaximumClockAhead = TimeSpan.FromMinutes(10);

    public async Task<(SessionSnapshotOutcome Outcome, ValidationErrors Errors)> IngestAsync(Guid serverId, SessionSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        ValidationErrors errors = Validate(snapshot, now);
        if (!errors.IsValid)
        {
            return (SessionSnapshotOutcome.Invalid, errors);
        }

        try
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            SessionSnapshotStatus? status = await db.SessionSnapshots.FirstOrDefaultAsync(s => s.ServerId == serverId, cancellationToken);
            if (status is not null && status.TakenAt >= snapshot.TakenAt)
            {
                return (SessionSnapshotOutcome.Stale, errors);
            }

            if (status is null)
            {
                status = new SessionSnapshotStatus { ServerId = serverId };
                db.SessionSnapshots.Add(status);
            }

            status.TakenAt = snapshot.TakenAt;
            status.ReceivedAt = now;
            status.Total = snapshot.Total;
            await db.LiveSessions.Where(l => l.ServerId == serverId).ExecuteDeleteAsync(cancellationToken);
            foreach (LiveSession session in snapshot.Sessions)
            {
                db.LiveSessions.Add(new LiveSessionEntry
                {
                    ServerId = serverId,
                    SessionId = session.SessionId,
                    UserName = session.User,
                    DeviceId = session.DeviceId,
                    ClientAddress = session.ClientAddress,
                    Address = session.Address,
                    Address6 = session.Address6,
                    Channel = session.Channel,
                    SignedInAt = session.SignedInAt,
                    ConnectedSince = session.ConnectedSince,
                    BytesIn = session.BytesIn,
                    BytesOut = session.BytesOut,
                });
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (SessionSnapshotOutcome.Stored, errors);
        }
        catch (DbUpdateException e)
        {
            // Another replica stored a snapshot of this server at the same moment; the next one follows within the agent's interval.
            LogIngestRace(logger, serverId, e.InnerException?.Message ?? e.Message);
            return (SessionSnapshotOutcome.Conflict, errors);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// At most <see cref="SessionSnapshot.MaximumSessions"/> sessions, a total not below their
    /// count, a time not ahead of the service's clock, and each session once with a user, a client
    /// address and port, leased addresses of their family, a channel of TLS or DTLS, and counts that are not negative.
    /// </summary>
    internal static ValidationErrors Validate(SessionSnapshot snapshot, DateTime now)
    {
        var errors = new ValidationErrors();
        if (snapshot.Sessions is null)
        {
            errors.Add("sessions", "is required: send an empty list when the gateway holds no session.");
            return errors;
        }

        if (snapshot.Sessions.Count > SessionSnapshot.MaximumSessions)
        {
            errors.Add("sessions", $"holds {snapshot.Sessions.Count} sessions; at most {SessionSnapshot.MaximumSessions} are taken.");
            return errors;
        }

        if (snapshot.Total < snapshot.Sessions.Count)
        {
            errors.Add("total", $"is {snapshot.Total}, fewer than the {snapshot.Sessions.Count} sessions listed.");
        }

        if (snapshot.TakenAt > now + MaximumClockAhead)
        {
            errors.Add("takenAt", $"is {snapshot.TakenAt:u}, more than {MaximumClockAhead.TotalMinutes} minutes ahead of the service's clock ({now:u}): check the server's time.");
        }

        var ids = new HashSet<long>();
        for (int i = 0; i < snapshot.Sessions.Count; i++)
        {
            LiveSession session = snapshot.Sessions[i];
            string at = $"sessions[{i}]";
            if (!ids.Add(session.SessionId))
            {
                errors.Add($"{at}.sessionId", $"{session.SessionId} is listed more than once.");
            }

            errors.RequireName($"{at}.user", session.User, AccessLogEntry.MaximumText);
            AccessLogIngest.RequireLength(errors, $"{at}.deviceId", session.DeviceId);
            if (!IPEndPoint.TryParse(session.ClientAddress ?? string.Empty, out IPEndPoint? client) || client.Port == 0)
            {
                errors.Add($"{at}.clientAddress", $"'{session.ClientAddress}' is not an address and port.");
            }

            AccessLogIngest.RequireAddress(errors, $"{at}.address", session.Address, System.Net.Sockets.AddressFamily.InterNetwork);
            AccessLogIngest.RequireAddress(errors, $"{at}.address6", session.Address6, System.Net.Sockets.AddressFamily.InterNetworkV6);
            if (session.Channel is not (null or "TLS" or "DTLS"))
            {
                errors.Add($"{at}.channel", $"is '{session.Channel}'; it must be TLS, DTLS or null.");
            }

            errors.RequireRange($"{at}.bytesIn", session.BytesIn, 0, long.MaxValue);
            errors.RequireRange($"{at}.bytesOut", session.BytesOut, 0, long.MaxValue);
        }

        return errors;
    }

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "The session snapshot of server {ServerId} met a concurrent write ({Reason}); the agent's next snapshot replaces it.")]
    private static partial void LogIngestRace(ILogger logger, Guid serverId, string reason);
}
