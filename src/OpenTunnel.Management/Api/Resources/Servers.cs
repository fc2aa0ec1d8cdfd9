using System.Linq.Expressions;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>
/// Body of PUT /api/v1/servers/{id}: an administrator renames a server or drains it. Servers are
/// created by enrolment; their state, version and health come from the agent.
/// </summary>
/// <summary>Body of PUT /api/v1/servers/{id}. <see cref="PublicAddress"/>: null keeps the one stored, "" clears it.</summary>
public sealed record ServerInput(string? Name, bool Drain = false, string? PublicAddress = null);

public sealed class ServerFilter : ListQuery
{
    public Guid? SiteId { get; set; }

    public ServerState? State { get; set; }
}

internal sealed class Servers : ResourceDefinition<Server, ServerInput, ServerFilter>
{
    public override string Path => "servers";

    public override string Noun => "server";

    public override bool AllowCreate => false;

    public override IQueryable<Server> Filter(IQueryable<Server> query, ServerFilter filter)
    {
        if (filter.SiteId is { } site)
        {
            query = query.Where(s => s.SiteId == site);
        }

        return filter.State is { } state ? query.Where(s => s.State == state) : query;
    }

    public override void Apply(ServerInput input, Server entity)
    {
        entity.Name = input.Name ?? string.Empty;
        if (input.PublicAddress is not null)
        {
            entity.PublicAddress = input.PublicAddress.Length == 0 ? null : input.PublicAddress;
        }

        if (input.Drain)
        {
            entity.State = ServerState.Draining;
        }
        else if (entity.State == ServerState.Draining)
        {
            // Undrained: offline until its agent checks in again and says it serves.
            entity.State = ServerState.Offline;
        }
    }

    public override ValidationErrors Validate(Server entity) => AccessValidators.Validate(entity);

    public override Expression<Func<Server, bool>> SameKey(Server entity)
    {
        string name = entity.Name;
        Guid site = entity.SiteId;
        return s => s.SiteId == site && s.Name == name;
    }
}
