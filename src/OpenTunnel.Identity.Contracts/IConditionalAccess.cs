namespace OpenTunnel.Identity.Contracts;

/// <summary>
/// A request for a gateway token: the user, the device the caller proved it holds (null when it
/// presented none), and the site asked for (its id or name; null when it named none).
/// </summary>
public sealed record AccessRequest(DirectoryUser User, DirectoryDevice? Device, string? Site);

/// <summary>The decision; <see cref="Reason"/> says which condition failed, and is sent to the caller as the error description.</summary>
public sealed record AccessVerdict(bool Allowed, string Reason, Guid? SiteId)
{
    public static AccessVerdict Deny(string reason) => new(false, reason, null);
}

/// <summary>The conditional-access decision at token issuance, made by the management service's policies.</summary>
public interface IConditionalAccess
{
    Task<AccessVerdict> EvaluateAsync(AccessRequest request, CancellationToken cancellationToken);
}
