using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Validation;

/// <summary>Checks users, groups, devices, compliance and conditional-access policies, and API keys.</summary>
public static class AccessValidators
{
    /// <summary>Sign-in names: letters, digits and . _ @ -, so they read the same in a token's claim and a URL.</summary>
    public static ValidationErrors Validate(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var errors = new ValidationErrors();
        errors.RequireName("name", user.Name, 128);
        if (!string.IsNullOrEmpty(user.Name) && !user.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))
        {
            errors.Add("name", $"'{user.Name}' may hold only letters, digits and . _ @ -.");
        }

        errors.RequireName("displayName", user.DisplayName);
        RequireIds(errors, "groupIds", user.GroupIds, "group");
        return errors;
    }

    public static ValidationErrors Validate(Group group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var errors = new ValidationErrors();
        errors.RequireName("name", group.Name, 128);
        errors.RequireName("displayName", group.DisplayName);
        return errors;
    }

    public static ValidationErrors Validate(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var errors = new ValidationErrors();
        errors.RequireName("name", device.Name);
        errors.RequireId("ownerId", device.OwnerId, "is required: a device belongs to a user.");
        errors.RequireName("osVersion", device.OsVersion, 64);
        return errors;
    }

    public static ValidationErrors Validate(CompliancePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new ValidationErrors();
        errors.RequireName("name", policy.Name);
        if (policy.MinimumOsVersion is { } minimum && ComplianceEvaluator.CompareVersions(minimum, "0") is null)
        {
            errors.Add("minimumOsVersion", $"'{minimum}' is not a version made of dotted numbers, e.g. 14.2.");
        }

        return errors;
    }

    public static ValidationErrors Validate(ConditionalAccessPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new ValidationErrors();
        errors.RequireName("name", policy.Name);
        if (policy.GroupIds.Count == 0)
        {
            errors.Add("groupIds", "is empty; a policy gives at least one group access.");
        }

        if (policy.SiteIds.Count == 0)
        {
            errors.Add("siteIds", "is empty; a policy gives access to at least one site.");
        }

        RequireIds(errors, "groupIds", policy.GroupIds, "group");
        RequireIds(errors, "siteIds", policy.SiteIds, "site");
        return errors;
    }

    public static ValidationErrors Validate(ApiKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var errors = new ValidationErrors();
        errors.RequireName("name", key.Name);
        if (!ManagementRoles.IsKnown(key.Role))
        {
            errors.Add("role", $"'{key.Role}' is not a role; use {ManagementRoles.ReadOnly} or {ManagementRoles.FullAdmin}.");
        }

        return errors;
    }

    public static ValidationErrors Validate(Server server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var errors = new ValidationErrors();
        errors.RequireName("name", server.Name);
        if (server.PublicAddress is not null && OpenTunnel.Gateway.Contracts.Network.PeerAddress.TryParse(server.PublicAddress, out _, out _) is { } problem)
        {
            errors.Add("publicAddress", problem);
        }

        return errors;
    }

    private static void RequireIds(ValidationErrors errors, string field, List<Guid> ids, string what)
    {
        for (int i = 0; i < ids.Count; i++)
        {
            errors.RequireId($"{field}[{i}]", ids[i], $"is not a {what} id.");
        }
    }
}
