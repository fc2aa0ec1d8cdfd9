using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>Body of POST and PUT /api/v1/configurations. Left-out values take their defaults.</summary>
public sealed record ServerConfigurationInput(
    string? Name,
    string? Description = null,
    string? Ipv4Range = null,
    string? Ipv6Range = null,
    List<string>? DnsServers = null,
    List<string>? DnsSuffixes = null,
    List<string>? SplitDnsDomains = null,
    List<string>? IncludeRoutes = null,
    List<string>? ExcludeRoutes = null,
    int? Port = null,
    bool UdpDisabled = false,
    int? SessionTimeoutMinutes = null,
    int? IdleTimeoutMinutes = null,
    bool AllowClientToClient = false,
    LoadBalancingSettings? LoadBalancing = null,
    List<GroupPolicySettings>? GroupPolicies = null,
    UnmanagedAccessSettings? UnmanagedAccess = null);

public sealed class ServerConfigurationFilter : ListQuery
{
    /// <summary>Exact name.</summary>
    public string? Name { get; set; }
}

internal sealed class ServerConfigurations : ResourceDefinition<ServerConfiguration, ServerConfigurationInput, ServerConfigurationFilter>
{
    public override string Path => "configurations";

    public override string Noun => "server configuration";

    public override IQueryable<ServerConfiguration> Filter(IQueryable<ServerConfiguration> query, ServerConfigurationFilter filter) =>
        WhereName(query, filter.Name);

    public override void Apply(ServerConfigurationInput input, ServerConfiguration entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Description = input.Description;
        entity.Ipv4Range = input.Ipv4Range ?? ServerConfiguration.DefaultIpv4Range;
        entity.Ipv6Range = input.Ipv6Range;
        entity.DnsServers = input.DnsServers ?? [];
        entity.DnsSuffixes = input.DnsSuffixes ?? [];
        entity.SplitDnsDomains = input.SplitDnsDomains ?? [];
        entity.IncludeRoutes = input.IncludeRoutes ?? [];
        entity.ExcludeRoutes = input.ExcludeRoutes ?? [];
        entity.Port = input.Port ?? ServerConfiguration.DefaultPort;
        entity.UdpDisabled = input.UdpDisabled;
        entity.SessionTimeoutMinutes = input.SessionTimeoutMinutes;
        entity.IdleTimeoutMinutes = input.IdleTimeoutMinutes ?? ServerConfiguration.DefaultIdleTimeoutMinutes;
        entity.AllowClientToClient = input.AllowClientToClient;
        entity.LoadBalancing = input.LoadBalancing;
        entity.GroupPolicies = input.GroupPolicies is { Count: > 0 } policies ? policies : null;
        entity.UnmanagedAccess = input.UnmanagedAccess;
    }

    public override ValidationErrors Validate(ServerConfiguration entity) => ServerConfigurationValidator.Validate(entity);

    public override Expression<Func<ServerConfiguration, bool>> SameKey(ServerConfiguration entity) => SameName(entity);

    public override async Task<string?> FindUseAsync(ServerConfiguration entity, ManagementDbContext db, CancellationToken cancellationToken)
    {
        List<string> sites = await db.Sites.Where(s => s.ServerConfigurationId == entity.Id).Select(s => s.Name).Take(10).ToListAsync(cancellationToken);
        return sites.Count == 0 ? null : $"site(s) {string.Join(", ", sites)} apply it; give them another configuration first.";
    }
}
