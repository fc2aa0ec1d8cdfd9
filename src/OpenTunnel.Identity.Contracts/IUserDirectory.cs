namespace OpenTunnel.Identity.Contracts;

/// <summary>A user as the identity provider sees one: who, whether enabled, and the names of the groups.</summary>
public sealed record DirectoryUser(Guid Id, string Name, string DisplayName, bool Enabled, IReadOnlyList<string> Groups);

/// <summary>
/// The users the identity provider signs in. The management service owns users and groups and
/// implements this over its database; the identity provider keeps only credentials.
/// </summary>
public interface IUserDirectory
{
    /// <summary>The user with this sign-in name (exact), or null.</summary>
    Task<DirectoryUser?> FindByNameAsync(string name, CancellationToken cancellationToken);

    Task<DirectoryUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the user of an upstream account at its first sign-in, or updates the matched one
    /// (display name, groups: exactly the mapped groups), with an audit entry; not saved (the
    /// caller's unit of work saves it with the federated login).
    /// </summary>
    Task<FederatedProvisioning> ProvisionFederatedAsync(FederatedAccount account, CancellationToken cancellationToken);

    /// <summary>Records in the audit log what happened to a user's access outside the API (<paramref name="actor"/> made <paramref name="change"/>); not saved.</summary>
    void RecordAudit(Guid userId, string actor, string change);
}

/// <summary>
/// A user signed in through an upstream provider: the user it matched (null at the first sign-in),
/// the name for a new user, the display name, and the names of our groups the upstream's groups map to.
/// </summary>
public sealed record FederatedAccount(Guid? UserId, string Upstream, string Name, string DisplayName, IReadOnlyList<string> Groups);

/// <summary>The user after <see cref="IUserDirectory.ProvisionFederatedAsync"/>, or why not (a name taken by another user); the mapped group names that are no group of ours.</summary>
public sealed record FederatedProvisioning(DirectoryUser? User, string? Error, IReadOnlyList<string> UnknownGroups);
