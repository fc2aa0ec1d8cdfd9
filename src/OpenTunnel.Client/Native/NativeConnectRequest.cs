using OpenTunnel.Protocol.Client;

namespace OpenTunnel.Client.Native;

/// <summary>What <c>connect --engine native</c> needs: the gateway, how to trust it, and what to sign in with.</summary>
public sealed record NativeConnectRequest(Uri Gateway, string? ServerCertificatePin, SignInCredentials Credentials);
