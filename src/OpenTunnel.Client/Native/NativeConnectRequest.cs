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
public sealed record NativeConnectRequest(Uri Gateway, string? ServerCertificatePin, SignInCredentials Credentials, Func<CancellationToken, Task<string>>? RenewToken = null, bool ManageDns = true);
