namespace OpenTunnel.Identity.Contracts;

/// <summary>
/// Ends sessions at the gateways: every session of a user (by subject, <c>sub</c>: the user id) or
/// of a device (by id), revoking their cookies so they cannot reconnect. The management service delivers it through
/// the agent channel to every gateway of every site.
/// </summary>
public interface IGatewaySessions
{
    /// <summary>Tells every gateway to terminate the target's sessions; the number of gateways told. Throws when they could not be told.</summary>
    Task<int> TerminateAsync(string target, CancellationToken cancellationToken);
}
