namespace OpenTunnel.Gateway.Sessions;

/// <summary>
/// Holds each session to its own routes in the gateway's firewall (Network:GroupPolicies): a
/// session's rules are installed at its CONNECT, before its first packet, and removed when it ends.
/// </summary>
public interface ISessionFirewall
{
    /// <summary>Installs or updates the rules of <paramref name="session"/> (its leased addresses and groups); throws <see cref="InvalidOperationException"/> when nft refuses them.</summary>
    Task AdmitAsync(GatewaySession session);

    /// <summary>Removes the rules of an ended session; nothing when it had none.</summary>
    Task ReleaseAsync(GatewaySession session);
}
