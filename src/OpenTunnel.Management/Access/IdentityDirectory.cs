using Microsoft.EntityFrameworkCore;
using OpenTunnel.Identity.Contracts;
using OpenTunnel.Identity.Settings;
using OpenTunnel.Management.Api;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;
using DeviceCompliance = OpenTunnel.Management.Api.Resources.DeviceCompliance;

namespace OpenTunnel.Management.Access;

/// <summary>
/// What the embedded identity provider reads and writes of the management domain: users and
/// their groups, devices (enrolment and posture reports, with compliance evaluated by
/// <see cref="ComplianceEvaluator"/>), and the conditional-access decision of
/// <see cref="ConditionalAccessEvaluator"/> over the stored policies.
/// </summary>
internal sealed class IdentityDirectory(ManagementDbContext db, IdentityProviderOptions identity, TimeProvider clock, Hosting.ManagementMetrics metrics) : IUserDirectory, IDeviceDirectory, IConditionalAccess
{
    public async Task<DirectoryUser?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        await DescribeAsync(await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken), cancellationToken);

    public async Task<DirectoryUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken) =>
        await DescribeAsync(await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken), cancellationToken);

    public async Task<FederatedProvisioning> ProvisionFederatedAsync(FederatedAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        List<string> wanted = [.. account.Groups];
        List<Group> groups = await db.Groups.AsNoTracking().Where(g => wanted.Contains(g.Name)).ToListAsync(cancellationToken);
        List<string> unknown = [.. account.Groups.Where(name => !groups.Exists(g => g.Name == name))];
        List<Guid> groupIds = [.. groups.OrderBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Id)];
        string actor = $"upstream:{account.Upstream}";
        User? user = account.UserId is { } id ? await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken) : null;
        if (user is null)
        {
            if (await db.Users.AnyAsync(u => u.Name == account.Name, cancellationToken))
            {
                return new FederatedProvisioning(null, $"a user named {account.Name} exists already (a local user, or one of another upstream)", unknown);
            }

            user = new User { Id = Guid.NewGuid(), Name = account.Name, DisplayName = account.DisplayName, GroupIds = groupIds, CreatedAt = now, UpdatedAt = now };
            ValidationErrors errors = AccessValidators.Validate(user);
            if (!errors.IsValid)
            {
                return new FederatedProvisioning(null, $"the upstream's user cannot be created here: {string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value.Select(m => $"{e.Key} {m}")))}", unknown);
            }

            db.Users.Add(user);
            AuditTrail.Record(db, actor, AuditAction.Created, user, user.Id, null, AuditTrail.Snapshot(user), now);
        }
        else if (user.DisplayName != account.DisplayName || !user.GroupIds.Order().SequenceEqual(groupIds.Order()))
        {
            // The groups are the upstream's at each sign-in: a group the upstream took away is taken away here (and the interceptor records the access event).
            string before = AuditTrail.Snapshot(user);
            user.DisplayName = account.DisplayName;
            user.GroupIds = groupIds;
            user.UpdatedAt = now;
            user.Version++;
            AuditTrail.Record(db, actor, AuditAction.Updated, user, user.Id, before, AuditTrail.Snapshot(user), now);
        }

        return new FederatedProvisioning(await DescribeAsync(user, cancellationToken), null, unknown);
    }

    public void RecordAudit(Guid userId, string actor, string change)
    {
        var entry = new CredentialChange(userId, change);
        AuditTrail.Record(db, actor, AuditAction.Updated, entry, userId, null, AuditTrail.Snapshot(entry), clock.GetUtcNow().UtcDateTime);
    }

    public async Task<DirectoryDevice?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken) is { } device ? Describe(device) : null;

    public async Task<DeviceWrite> EnrolAsync(Guid ownerId, DevicePosture posture, CancellationToken cancellationToken)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        // In administrator mode a new device waits for approval; the compliance evaluation leaves it Unknown (not compliant) until then.
        EnrolmentState state = identity.DeviceApproval == DeviceApprovalMode.Administrator ? EnrolmentState.Pending : EnrolmentState.Enrolled;
        var device = new Device { Id = Guid.NewGuid(), OwnerId = ownerId, EnrolmentState = state, CreatedAt = now };
        if (Apply(posture, device, now) is { } errors)
        {
            return new DeviceWrite(null, errors);
        }

        DeviceCompliance.Apply(device, await db.CompliancePolicies.AsNoTracking().ToListAsync(cancellationToken));
        db.Devices.Add(device);
        AuditTrail.Record(db, $"user:{ownerId}", AuditAction.Created, device, device.Id, null, AuditTrail.Snapshot(device), now);
        return new DeviceWrite(Describe(device), null);
    }

    public async Task<DeviceWrite> ReportAsync(Guid deviceId, DevicePosture posture, CancellationToken cancellationToken)
    {
        Device device = await db.Devices.FirstAsync(d => d.Id == deviceId, cancellationToken);
        if (device.EnrolmentState is not (EnrolmentState.Enrolled or EnrolmentState.Pending))
        {
            return new DeviceWrite(null, new Dictionary<string, string[]> { ["device"] = [$"is {device.EnrolmentState}; only enrolled devices (or those pending approval) report their posture."] });
        }

        string before = AuditTrail.Snapshot(device);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        if (Apply(posture, device, now) is { } errors)
        {
            return new DeviceWrite(null, errors);
        }

        DeviceCompliance.Apply(device, await db.CompliancePolicies.AsNoTracking().ToListAsync(cancellationToken));
        device.Version++;
        AuditTrail.Record(db, $"device:{device.Id}", AuditAction.Updated, device, device.Id, before, AuditTrail.Snapshot(device), now);
        return new DeviceWrite(Describe(device), null);
    }

    public async Task<AccessVerdict> EvaluateAsync(AccessRequest request, CancellationToken cancellationToken)
    {
        AccessVerdict verdict = await EvaluateAsync(request, null, cancellationToken);
        metrics.ConditionalAccessDecision(verdict.Allowed);
        return verdict;
    }

    /// <summary>
    /// The decision as if <paramref name="draft"/> were stored (in place of the stored policy with
    /// its id, or beside the others when it is new): the console's what-if of an unsaved edit.
    /// </summary>
    internal async Task<AccessVerdict> EvaluateAsync(AccessRequest request, ConditionalAccessPolicy? draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Site? site = await ResolveSiteAsync(request.Site, cancellationToken);
        if (site is null)
        {
            int sites = await db.Sites.CountAsync(cancellationToken);
            return AccessVerdict.Deny(request.Site is null
                ? $"Name the site (parameter site, its id or name): this deployment has {sites} sites."
                : $"No site has the id or name '{request.Site}'.");
        }

        List<Guid> groups = await db.Users.AsNoTracking().Where(u => u.Id == request.User.Id).Select(u => u.GroupIds).FirstOrDefaultAsync(cancellationToken) ?? [];
        AccessDevice? device = request.Device is { } d ? new AccessDevice(ToDomain(d.Enrolment), ToDomain(d.Compliance)) : null;
        List<ConditionalAccessPolicy> policies = await db.ConditionalAccessPolicies.AsNoTracking().ToListAsync(cancellationToken);
        if (draft is not null)
        {
            policies.RemoveAll(p => p.Id == draft.Id);
            policies.Add(draft);
        }

        AccessDecision decision = ConditionalAccessEvaluator.Evaluate(groups, site.Id, device, policies);
        string reason = decision.Reason;
        if (!decision.Allowed && request.Device is { Compliance: Identity.Contracts.DeviceCompliance.NonCompliant, Reasons.Count: > 0 } nonCompliant)
        {
            reason += " " + string.Join(" ", nonCompliant.Reasons);
        }

        return new AccessVerdict(decision.Allowed, reason, site.Id);
    }

    private async Task<Site?> ResolveSiteAsync(string? site, CancellationToken cancellationToken)
    {
        if (site is null)
        {
            List<Site> all = await db.Sites.AsNoTracking().Take(2).ToListAsync(cancellationToken);
            return all.Count == 1 ? all[0] : null;
        }

        return Guid.TryParse(site, out Guid id)
            ? await db.Sites.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken)
            : await db.Sites.AsNoTracking().FirstOrDefaultAsync(s => s.Name == site, cancellationToken);
    }

    /// <summary>Copies the report onto the device; the validation errors by field when it is not acceptable.</summary>
    private static Dictionary<string, string[]>? Apply(DevicePosture posture, Device device, DateTime now)
    {
        if (!Enum.TryParse(posture.Platform, ignoreCase: true, out Domain.Platform platform) || int.TryParse(posture.Platform, out _))
        {
            return new Dictionary<string, string[]> { ["platform"] = [$"'{posture.Platform}' is not a platform; use one of {string.Join(", ", Enum.GetNames<Domain.Platform>())}."] };
        }

        device.Name = posture.Name;
        device.Platform = platform;
        device.OsVersion = posture.OsVersion;
        device.DiskEncrypted = posture.DiskEncrypted;
        device.FirewallEnabled = posture.FirewallEnabled;
        device.ScreenLockEnabled = posture.ScreenLockEnabled;
        device.LastSeen = now;
        device.UpdatedAt = now;
        ValidationErrors errors = AccessValidators.Validate(device);
        return errors.IsValid ? null : new Dictionary<string, string[]>(errors.ToDictionary());
    }

    private async Task<DirectoryUser?> DescribeAsync(User? user, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return null;
        }

        List<Guid> ids = user.GroupIds;
        List<string> groups = await db.Groups.AsNoTracking().Where(g => ids.Contains(g.Id)).OrderBy(g => g.Name).Select(g => g.Name).ToListAsync(cancellationToken);
        return new DirectoryUser(user.Id, user.Name, user.DisplayName, user.Enabled, groups);
    }

    private static DirectoryDevice Describe(Device device) => new(
        device.Id,
        device.OwnerId,
        device.EnrolmentState switch
        {
            EnrolmentState.Enrolled => DeviceEnrolment.Enrolled,
            EnrolmentState.AppProtected => DeviceEnrolment.AppProtected,
            EnrolmentState.Pending => DeviceEnrolment.Pending,
            _ => DeviceEnrolment.Retired,
        },
        device.ComplianceState switch
        {
            ComplianceState.Compliant => Identity.Contracts.DeviceCompliance.Compliant,
            ComplianceState.NonCompliant => Identity.Contracts.DeviceCompliance.NonCompliant,
            _ => Identity.Contracts.DeviceCompliance.Unknown,
        },
        [.. device.ComplianceReasons]);

    private static EnrolmentState ToDomain(DeviceEnrolment enrolment) => enrolment switch
    {
        DeviceEnrolment.Enrolled => EnrolmentState.Enrolled,
        DeviceEnrolment.AppProtected => EnrolmentState.AppProtected,
        DeviceEnrolment.Pending => EnrolmentState.Pending,
        _ => EnrolmentState.Retired,
    };

    private static ComplianceState ToDomain(Identity.Contracts.DeviceCompliance compliance) => compliance switch
    {
        Identity.Contracts.DeviceCompliance.Compliant => ComplianceState.Compliant,
        Identity.Contracts.DeviceCompliance.NonCompliant => ComplianceState.NonCompliant,
        _ => ComplianceState.Unknown,
    };
}
