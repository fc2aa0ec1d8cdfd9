using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Native;

/// <summary>
/// What <c>connect --engine native</c> needs: the gateway, how to trust it, and what to sign in with.
/// <paramref name="ManageDns"/> false leaves the host's DNS to the caller (on-demand's DNS stub
/// answers through the tunnel's servers itself).
/// </summary>
public sealed record NativeConnectRequest(Uri Gateway, string? ServerCertificatePin, SignInCredentials Credentials, bool ManageDns = true);
