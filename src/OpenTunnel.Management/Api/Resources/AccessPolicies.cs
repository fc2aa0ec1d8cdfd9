using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>Body of POST and PUT /api/v1/compliance-policies.</summary>
public sealed record CompliancePolicyInput(
    string? Name,
    string? Description = null,
    Domain.Platform? Platform = null,
    string? MinimumOsVersion = null,
    bool RequireDiskEncryption = false,
    bool RequireFirewall = false);

public sealed class CompliancePolicyFilter : ListQuery
{
    public Domain.Platform? Platform { get; set; }
}

internal sealed class CompliancePolicies : ResourceDefinition<CompliancePolicy, CompliancePolicyInput, CompliancePolicyFilter>
{
    public override string Path => "compliance-policies";

    public override string Noun => "compliance policy";

    public override IQueryable<CompliancePolicy> Filter(IQueryable<CompliancePolicy> query, CompliancePolicyFilter filter) =>
        filter.Platform is { } platform ? query.Where(p => p.Platform == platform || p.Platform == null) : query;

    public override void Apply(CompliancePolicyInput input, CompliancePolicy entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Description = input.Description;
        entity.Platform = input.Platform;
        entity.MinimumOsVersion = input.MinimumOsVersion;
        entity.RequireDiskEncryption = input.RequireDiskEncryption;
        entity.RequireFirewall = input.RequireFirewall;
    }

    public override ValidationErrors Validate(CompliancePolicy entity) => AccessValidators.Validate(entity);

    public override Expression<Func<CompliancePolicy, bool>> SameKey(CompliancePolicy entity) => SameName(entity);

    /// <summary>A changed policy changes devices' compliance: evaluate every device again in the same save.</summary>
    public override async Task BeforeSaveAsync(CompliancePolicy entity, ManagementDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        List<CompliancePolicy> policies = await db.CompliancePolicies.AsNoTracking().Where(p => p.Id != entity.Id).ToListAsync(cancellationToken);
        policies.Add(entity);
        await foreach (Device device in db.Devices.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (DeviceCompliance.Apply(device, policies))
            {
                device.Version++;
                device.UpdatedAt = now;
            }
        }
    }
}

/// <summary>Body of POST and PUT /api/v1/conditional-access-policies.</summary>
public sealed record ConditionalAccessPolicyInput(
    string? Name,
    List<Guid>? GroupIds,
    List<Guid>? SiteIds,
    string? Description = null,
    bool Enabled = true,
    bool RequireCompliantDevice = true,
    bool AllowUnenrolledDevices = false);

public sealed class ConditionalAccessPolicyFilter : ListQuery
{
    public Guid? GroupId { get; set; }

    public Guid? SiteId { get; set; }
}

internal sealed class ConditionalAccessPolicies : ResourceDefinition<ConditionalAccessPolicy, ConditionalAccessPolicyInput, ConditionalAccessPolicyFilter>
{
    public override string Path => "conditional-access-policies";

    public override string Noun => "conditional-access policy";

    public override IQueryable<ConditionalAccessPolicy> Filter(IQueryable<ConditionalAccessPolicy> query, ConditionalAccessPolicyFilter filter)
    {
        if (filter.GroupId is { } group)
        {
            query = query.Where(p => p.GroupIds.Contains(group));
        }

        return filter.SiteId is { } site ? query.Where(p => p.SiteIds.Contains(site)) : query;
    }

    public override void Apply(ConditionalAccessPolicyInput input, ConditionalAccessPolicy entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Description = input.Description;
        entity.Enabled = input.Enabled;
        entity.GroupIds = input.GroupIds ?? [];
        entity.SiteIds = input.SiteIds ?? [];
        entity.RequireCompliantDevice = input.RequireCompliantDevice;
        entity.AllowUnenrolledDevices = input.AllowUnenrolledDevices;
    }

    public override ValidationErrors Validate(ConditionalAccessPolicy entity) => AccessValidators.Validate(entity);

    public override async Task CheckReferencesAsync(ConditionalAccessPolicy entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken)
    {
        await RequireExistingAsync(db.Groups, entity.GroupIds, errors, "groupIds", "group", single: false, cancellationToken);
        await RequireExistingAsync(db.Sites, entity.SiteIds, errors, "siteIds", "site", single: false, cancellationToken);
    }

    public override Expression<Func<ConditionalAccessPolicy, bool>> SameKey(ConditionalAccessPolicy entity) => SameName(entity);
}
