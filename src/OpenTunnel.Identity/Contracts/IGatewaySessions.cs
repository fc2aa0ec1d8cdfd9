namespace OpenTunnel.Identity.Contracts;

/// <summary>
/// Ends sessions at the gateways: every session of a user (by sign-in name) or of a device (by
/// id), revoking their cookies so they cannot reconnect. Interim delivery: the management
/// service calls the control sockets of co-located gateways; the agent channel (issue #7) will
/// carry it to every gateway of every site.
/// </summary>
public interface IGatewaySessions
{
    /// <summary>Terminates the target's sessions on every known gateway; throws when a gateway could not be told.</summary>
    Task<int> TerminateAsync(string target, CancellationToken cancellationToken);
}
