using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>Body of POST and PUT /api/v1/profiles.</summary>
public sealed record VpnProfileInput(
    string? Name,
    Guid? SiteId,
    Domain.Platform Platform,
    string? Description = null,
    List<string>? PerAppIdentifiers = null,
    bool AlwaysOn = false,
    List<OnDemandRule>? OnDemandRules = null,
    ProxySettings? Proxy = null,
    List<Guid>? AssignedGroupIds = null,
    bool Lockdown = false,
    TrustedNetworkDetection? TrustedNetwork = null,
    int? OnDemandIdleSeconds = null);

public sealed class VpnProfileFilter : ListQuery
{
    public Guid? SiteId { get; set; }

    public Domain.Platform? Platform { get; set; }

    /// <summary>Profiles assigned to this group.</summary>
    public Guid? GroupId { get; set; }
}

internal sealed class VpnProfiles : ResourceDefinition<VpnProfile, VpnProfileInput, VpnProfileFilter>
{
    public override string Path => "profiles";

    public override string Noun => "VPN profile";

    public override IQueryable<VpnProfile> Filter(IQueryable<VpnProfile> query, VpnProfileFilter filter)
    {
        if (filter.SiteId is { } site)
        {
            query = query.Where(p => p.SiteId == site);
        }

        if (filter.Platform is { } platform)
        {
            query = query.Where(p => p.Platform == platform);
        }

        return filter.GroupId is { } group ? query.Where(p => p.AssignedGroupIds.Contains(group)) : query;
    }

    public override void Apply(VpnProfileInput input, VpnProfile entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Description = input.Description;
        entity.SiteId = input.SiteId ?? Guid.Empty;
        entity.Platform = input.Platform;
        entity.PerAppIdentifiers = input.PerAppIdentifiers ?? [];
        entity.AlwaysOn = input.AlwaysOn;
        entity.Lockdown = input.Lockdown;
        entity.OnDemandRules = input.OnDemandRules ?? [];
        entity.TrustedNetwork = input.TrustedNetwork is null ? null : input.TrustedNetwork with { DnsSuffixes = input.TrustedNetwork.DnsSuffixes ?? [] };
        entity.OnDemandIdleSeconds = input.OnDemandIdleSeconds;
        entity.Proxy = input.Proxy is null ? null : input.Proxy with { Exclusions = input.Proxy.Exclusions ?? [] };
        entity.AssignedGroupIds = input.AssignedGroupIds ?? [];
    }

    public override ValidationErrors Validate(VpnProfile entity) => VpnProfileValidator.Validate(entity);

    public override async Task CheckReferencesAsync(VpnProfile entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken)
    {
        await RequireExistingAsync(db.Sites, [entity.SiteId], errors, "siteId", "site", single: true, cancellationToken);
        await RequireExistingAsync(db.Groups, entity.AssignedGroupIds, errors, "assignedGroupIds", "group", single: false, cancellationToken);
    }
}

/// <summary>Body of POST and PUT /api/v1/devices. Compliance is computed, never sent.</summary>
public sealed record DeviceInput(
    string? Name,
    Guid? OwnerId,
    Domain.Platform Platform,
    string? OsVersion,
    EnrolmentState EnrolmentState = EnrolmentState.Enrolled,
    bool? DiskEncrypted = null,
    bool? FirewallEnabled = null,
    DateTime? LastSeen = null);

public sealed class DeviceFilter : ListQuery
{
    public Guid? OwnerId { get; set; }

    public Domain.Platform? Platform { get; set; }

    public ComplianceState? ComplianceState { get; set; }
}

internal sealed class Devices : ResourceDefinition<Device, DeviceInput, DeviceFilter>
{
    public override string Path => "devices";

    public override string Noun => "device";

    public override IQueryable<Device> Filter(IQueryable<Device> query, DeviceFilter filter)
    {
        if (filter.OwnerId is { } owner)
        {
            query = query.Where(d => d.OwnerId == owner);
        }

        if (filter.Platform is { } platform)
        {
            query = query.Where(d => d.Platform == platform);
        }

        return filter.ComplianceState is { } state ? query.Where(d => d.ComplianceState == state) : query;
    }

    public override void Apply(DeviceInput input, Device entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.OwnerId = input.OwnerId ?? Guid.Empty;
        entity.Platform = input.Platform;
        entity.OsVersion = input.OsVersion ?? string.Empty;
        entity.EnrolmentState = input.EnrolmentState;
        entity.DiskEncrypted = input.DiskEncrypted;
        entity.FirewallEnabled = input.FirewallEnabled;
        entity.LastSeen = input.LastSeen is { } seen ? seen.ToUniversalTime() : entity.LastSeen;
    }

    public override ValidationErrors Validate(Device entity) => AccessValidators.Validate(entity);

    public override Task CheckReferencesAsync(Device entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken) =>
        RequireExistingAsync(db.Users, [entity.OwnerId], errors, "ownerId", "user", single: true, cancellationToken);

    public override async Task BeforeSaveAsync(Device entity, ManagementDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        List<CompliancePolicy> policies = await db.CompliancePolicies.AsNoTracking().ToListAsync(cancellationToken);
        DeviceCompliance.Apply(entity, policies);
    }
}

/// <summary>Stores the evaluator's verdict on a device.</summary>
internal static class DeviceCompliance
{
    /// <summary>Evaluates and stores the result; true when state or reasons changed.</summary>
    public static bool Apply(Device device, IEnumerable<CompliancePolicy> policies)
    {
        ComplianceResult result = ComplianceEvaluator.Evaluate(
            new DeviceReport(device.Platform, device.OsVersion, device.EnrolmentState, device.DiskEncrypted, device.FirewallEnabled), policies);
        if (device.ComplianceState == result.State && device.ComplianceReasons.SequenceEqual(result.Reasons))
        {
            return false;
        }

        device.ComplianceState = result.State;
        device.ComplianceReasons = [.. result.Reasons];
        return true;
    }
}
