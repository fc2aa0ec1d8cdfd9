using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Native;

/// <summary>
/// What <c>connect --engine native</c> needs: the gateway, how to trust it, and what to sign in with.
/// <paramref name="ManageDns"/> false leaves the host's DNS to the caller (on-demand's DNS stub
/// answers through the tunnel's servers itself).
/// </summary>
/// <param name="Gateway">The gateway's URL.</param>
/// <param name="ServerCertificatePin">The pin of --servercert, or null to let the system's trust store decide.</param>
/// <param name="Credentials">The token, or the user name and password, of the sign-in.</param>
/// <param name="RenewToken">
/// Fetches a new gateway token (the sign-in's refresh token); null when the token cannot be renewed
/// (read from --token-file, or a password sign-in). See <see cref="TokenRenewal"/>.
/// </param>
/// <param name="ManageDns">Whether the engine sets the host's DNS to the tunnel's servers.</param>
public sealed record NativeConnectRequest(Uri Gateway, string? ServerCertificatePin, SignInCredentials Credentials, Func<CancellationToken, Task<string>>? RenewToken = null, bool ManageDns = true)
{
    /// <summary>The TUN device's name: <see cref="NativeEngine.TunDeviceName"/> (numbered by the kernel), or a fixed one a lockdown table names.</summary>
    public string TunDevice { get; init; } = NativeEngine.TunDeviceName;

    /// <summary>
    /// A per-app profile's network namespace: the TUN device goes into it with its addresses, routes
    /// and DNS (<see cref="PerApp.AppTunnelPlan"/>), and the host's own routes and DNS stay as they are.
    /// </summary>
    public string? AppNamespace { get; init; }

    /// <summary>Reconnect without the <see cref="NativeEngine.ReconnectTimeout"/> limit (always-on: only the user's stop ends the tunnel).</summary>
    public bool KeepReconnecting { get; init; }
}
