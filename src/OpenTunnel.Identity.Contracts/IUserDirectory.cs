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
}
