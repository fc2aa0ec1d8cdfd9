using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>Body of POST and PUT /api/v1/sites.</summary>
public sealed record SiteInput(
    string? Name,
    string? PublicAddress,
    Guid? ServerConfigurationId,
    string? Description = null,
    string? InternalProbeUrl = null,
    bool AutomaticUpgrade = false,
    MaintenanceWindow? MaintenanceWindow = null);

public sealed class SiteFilter : ListQuery
{
    /// <summary>Exact name.</summary>
    public string? Name { get; set; }

    public Guid? ServerConfigurationId { get; set; }
}

internal sealed class Sites : ResourceDefinition<Site, SiteInput, SiteFilter>
{
    public override string Path => "sites";

    public override string Noun => "site";

    public override IQueryable<Site> Filter(IQueryable<Site> query, SiteFilter filter)
    {
        query = WhereName(query, filter.Name);

        return filter.ServerConfigurationId is { } configuration ? query.Where(s => s.ServerConfigurationId == configuration) : query;
    }

    public override void Apply(SiteInput input, Site entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Description = input.Description;
        entity.PublicAddress = input.PublicAddress ?? string.Empty;
        entity.ServerConfigurationId = input.ServerConfigurationId ?? Guid.Empty;
        entity.InternalProbeUrl = input.InternalProbeUrl;
        entity.AutomaticUpgrade = input.AutomaticUpgrade;
        entity.MaintenanceWindow = input.MaintenanceWindow;
    }

    public override ValidationErrors Validate(Site entity) => SiteValidator.Validate(entity);

    public override Task CheckReferencesAsync(Site entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken) =>
        RequireExistingAsync(db.ServerConfigurations, [entity.ServerConfigurationId], errors, "serverConfigurationId", "server configuration", single: true, cancellationToken);

    public override Expression<Func<Site, bool>> SameKey(Site entity) => SameName(entity);

    public override async Task<string?> FindUseAsync(Site entity, ManagementDbContext db, CancellationToken cancellationToken)
    {
        Guid id = entity.Id;
        int servers = await db.Servers.CountAsync(s => s.SiteId == id, cancellationToken);
        int profiles = await db.VpnProfiles.CountAsync(p => p.SiteId == id, cancellationToken);
        int policies = await db.ConditionalAccessPolicies.CountAsync(p => p.SiteIds.Contains(id), cancellationToken);
        return servers + profiles + policies == 0
            ? null
            : $"{servers} server(s), {profiles} VPN profile(s) and {policies} conditional-access policy(ies) name it; remove them from it first.";
    }
}
