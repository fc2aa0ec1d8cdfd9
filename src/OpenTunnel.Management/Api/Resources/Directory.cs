using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using OpenTunnel.Management.Data;
using OpenTunnel.Management.Domain;
using OpenTunnel.Management.Validation;

namespace OpenTunnel.Management.Api.Resources;

/// <summary>Body of POST and PUT /api/v1/users.</summary>
public sealed record UserInput(string? Name, string? DisplayName, bool Enabled = true, List<Guid>? GroupIds = null);

public sealed class UserFilter : ListQuery
{
    /// <summary>Exact sign-in name.</summary>
    public string? Name { get; set; }

    /// <summary>Members of this group.</summary>
    public Guid? GroupId { get; set; }
}

internal sealed class Users : ResourceDefinition<User, UserInput, UserFilter>
{
    public override string Path => "users";

    public override string Noun => "user";

    public override IQueryable<User> Filter(IQueryable<User> query, UserFilter filter)
    {
        query = WhereName(query, filter.Name);

        return filter.GroupId is { } group ? query.Where(u => u.GroupIds.Contains(group)) : query;
    }

    public override void Apply(UserInput input, User entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.DisplayName = input.DisplayName ?? string.Empty;
        entity.Enabled = input.Enabled;
        entity.GroupIds = input.GroupIds ?? [];
    }

    public override ValidationErrors Validate(User entity) => AccessValidators.Validate(entity);

    public override Task CheckReferencesAsync(User entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken) =>
        RequireExistingAsync(db.Groups, entity.GroupIds, errors, "groupIds", "group", single: false, cancellationToken);

    public override Expression<Func<User, bool>> SameKey(User entity) => SameName(entity);

    public override async Task<string?> FindUseAsync(User entity, ManagementDbContext db, CancellationToken cancellationToken)
    {
        Guid id = entity.Id;
        int devices = await db.Devices.CountAsync(d => d.OwnerId == id, cancellationToken);
        return devices == 0 ? null : $"{devices} device(s) belong to this user; delete or reassign them first.";
    }
}

/// <summary>Body of POST and PUT /api/v1/groups.</summary>
public sealed record GroupInput(string? Name, string? DisplayName = null, string? Description = null);

public sealed class GroupFilter : ListQuery
{
    /// <summary>Exact name.</summary>
    public string? Name { get; set; }
}

internal sealed class Groups : ResourceDefinition<Group, GroupInput, GroupFilter>
{
    public override string Path => "groups";

    public override string Noun => "group";

    public override IQueryable<Group> Filter(IQueryable<Group> query, GroupFilter filter) =>
        WhereName(query, filter.Name);

    public override void Apply(GroupInput input, Group entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.DisplayName = input.DisplayName ?? entity.Name;
        entity.Description = input.Description;
    }

    public override ValidationErrors Validate(Group entity) => AccessValidators.Validate(entity);

    public override Expression<Func<Group, bool>> SameKey(Group entity) => SameName(entity);

    public override async Task<string?> FindUseAsync(Group entity, ManagementDbContext db, CancellationToken cancellationToken)
    {
        Guid id = entity.Id;
        int members = await db.Users.CountAsync(u => u.GroupIds.Contains(id), cancellationToken);
        int profiles = await db.VpnProfiles.CountAsync(p => p.AssignedGroupIds.Contains(id), cancellationToken);
        int policies = await db.ConditionalAccessPolicies.CountAsync(p => p.GroupIds.Contains(id), cancellationToken);
        return members + profiles + policies == 0
            ? null
            : $"{members} member(s), {profiles} VPN profile assignment(s) and {policies} conditional-access policy(ies) name it; remove them first.";
    }
}

/// <summary>Body of PUT /api/v1/api-keys/{id} (rename or change role) and of POST, which answers with the key once.</summary>
public sealed record ApiKeyInput(string? Name, string? Role, DateTime? ExpiresAt = null);

public sealed class ApiKeyFilter : ListQuery
{
    public string? Role { get; set; }
}

internal sealed class ApiKeys : ResourceDefinition<ApiKey, ApiKeyInput, ApiKeyFilter>
{
    public override string Path => "api-keys";

    public override string Noun => "API key";

    /// <summary>Created by <see cref="ApiKeyEndpoints"/>, which shows the key once.</summary>
    public override bool AllowCreate => false;

    public override IQueryable<ApiKey> Filter(IQueryable<ApiKey> query, ApiKeyFilter filter) =>
        filter.Role is null ? query : query.Where(k => k.Role == filter.Role);

    public override void Apply(ApiKeyInput input, ApiKey entity)
    {
        entity.Name = input.Name ?? string.Empty;
        entity.Role = input.Role ?? string.Empty;
        entity.ExpiresAt = input.ExpiresAt?.ToUniversalTime();
    }

    public override ValidationErrors Validate(ApiKey entity) => AccessValidators.Validate(entity);

    public override Expression<Func<ApiKey, bool>> SameKey(ApiKey entity) => SameName(entity);

    /// <summary>Taking full-admin from the last full-admin key would leave no key that can write.</summary>
    public override async Task CheckReferencesAsync(ApiKey entity, ManagementDbContext db, ValidationErrors errors, CancellationToken cancellationToken)
    {
        if (entity.Role != ManagementRoles.FullAdmin && !await IsAnotherFullAdminAsync(entity, db, cancellationToken))
        {
            errors.Add("role", "this is the last full-admin key; create another full-admin key first.");
        }
    }

    public override async Task<string?> FindUseAsync(ApiKey entity, ManagementDbContext db, CancellationToken cancellationToken) =>
        entity.Role == ManagementRoles.FullAdmin && !await IsAnotherFullAdminAsync(entity, db, cancellationToken)
            ? "it is the last full-admin key; create another full-admin key first."
            : null;

    private static Task<bool> IsAnotherFullAdminAsync(ApiKey entity, ManagementDbContext db, CancellationToken cancellationToken)
    {
        Guid id = entity.Id;
        return db.ApiKeys.AnyAsync(k => k.Id != id && k.Role == ManagementRoles.FullAdmin, cancellationToken);
    }
}
