using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OpenTunnel.Gateway.Logging;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Gateway.SignIn;

/// <summary>
/// Continuous access evaluation at the gateway: a user name or device id whose access was revoked
/// (the control API's <c>revoke</c>, sent by the management agent) at a moment T. Until the
/// retention passes, a token of that user or device issued before T is refused at sign-in, so a
/// client cannot come back with the token it already holds; a token issued after T (the identity
/// provider let the user in again) is accepted. A token without <c>iat</c> counts as issued before.
/// With a file, every revocation is saved there (owner-only, written whole) and read back at start,
/// so a restarted gateway still refuses those tokens; the retention covers the lifetime of the
/// tokens a gateway accepts. A file that cannot be written (a full disk, a read-only file system)
/// does not stop a revocation: it holds in memory, the failure is logged once (event 310) and the
/// whole file is written again at the next revocation (event 311 once it is).
/// </summary>
public sealed class AccessRevocations(TimeProvider time, string? file = null, ILogger? logger = null)
{
    /// <summary>The gateway's file of revocations (the control API's <c>revoke</c>), in its data directory.</summary>
    public const string FileName = "revocations.json";

    /// <summary>How long a revocation is remembered; longer than any access token the gateway accepts should live.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _revokedAt = new(StringComparer.Ordinal);

    /// <summary>One writer of the file at a time (revocations may come from two control connections at once).</summary>
    private readonly Lock _saving = new();

    private bool _unsaved;

    public int Count => _revokedAt.Count;

    /// <summary>False while the file lacks a revocation because it could not be written.</summary>
    public bool Saved => !Volatile.Read(ref _unsaved);

    /// <summary>
    /// The revocations saved in <paramref name="file"/> (none when it does not exist), saving new
    /// ones there. A file that cannot be read is set aside, not trusted: <paramref name="problem"/> says why.
    /// </summary>
    public static AccessRevocations Load(string file, TimeProvider time, out string? problem, ILogger? logger = null)
    {
        var revocations = new AccessRevocations(time, file, logger);
        problem = null;
        if (!File.Exists(file))
        {
            return revocations;
        }

        try
        {
            JsonObject saved = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new JsonException("not a JSON object");
            foreach ((string target, JsonNode? at) in saved)
            {
                revocations._revokedAt[target] = DateTimeOffset.Parse(at?.GetValue<string>() ?? throw new JsonException($"no time for '{target}'"), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or IOException)
        {
            revocations._revokedAt.Clear();
            problem = $"the revocation file {file} cannot be read ({e.Message}); it was ignored";
        }

        revocations.Prune(time.GetUtcNow());
        return revocations;
    }

    /// <summary>
    /// How much later than a given revocation moment still counts as revoked: the management
    /// service's clock may be behind this one, and a session or token of the first minutes after a
    /// revocation must not slip through for that.
    /// </summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Records that the target's access was revoked at <paramref name="at"/> plus the clock-skew
    /// allowance (now when null, and never later than now); a later revocation of the same target
    /// already recorded stays. The moment recorded.
    /// </summary>
    public DateTimeOffset Revoke(string target, DateTimeOffset? at = null)
    {
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset moment = at is { } given && given + ClockSkewAllowance < now ? given + ClockSkewAllowance : now;
        DateTimeOffset recorded = _revokedAt.AddOrUpdate(target, moment, (_, existing) => existing > moment ? existing : moment);
        Prune(now);
        Save();
        return recorded;
    }

    /// <summary>
    /// When the access of the user (by name or by subject, <c>sub</c>) or the device that a token
    /// names was revoked after the token was issued; null when it was not.
    /// </summary>
    public DateTimeOffset? RevokedAfterIssue(string user, string? device, DateTimeOffset? issuedAt, string? subject = null)
    {
        DateTimeOffset? revoked = Lookup(user);
        foreach (string? other in (ReadOnlySpan<string?>)[subject, device])
        {
            if (other is not null && Lookup(other) is { } otherRevoked && (revoked is null || otherRevoked > revoked))
            {
                revoked = otherRevoked;
            }
        }

        return revoked is { } at && (issuedAt is null || issuedAt < at) ? at : null;
    }

    private DateTimeOffset? Lookup(string target) =>
        _revokedAt.TryGetValue(target, out DateTimeOffset at) && time.GetUtcNow() - at < Retention ? at : null;

    private void Save()
    {
        if (file is null)
        {
            return;
        }

        lock (_saving)
        {
            var saved = new JsonObject();
            foreach ((string target, DateTimeOffset at) in _revokedAt)
            {
                saved[target] = at.ToString("O", CultureInfo.InvariantCulture);
            }

            try
            {
                OwnerOnlyFiles.WriteAtomically(file, saved.ToJsonString());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!_unsaved && logger is not null)
                {
                    GatewayLog.RevocationsNotSaved(logger, file, e.Message);
                }

                Volatile.Write(ref _unsaved, true);
                return;
            }

            if (_unsaved && logger is not null)
            {
                GatewayLog.RevocationsSavedAgain(logger, file, saved.Count);
            }

            Volatile.Write(ref _unsaved, false);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach ((string target, DateTimeOffset at) in _revokedAt)
        {
            if (now - at >= Retention)
            {
                _revokedAt.TryRemove(new KeyValuePair<string, DateTimeOffset>(target, at));
            }
        }
    }
}
