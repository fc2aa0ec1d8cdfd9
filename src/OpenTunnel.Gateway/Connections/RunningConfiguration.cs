using OpenTunnel.Gateway.Auth;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tls;

namespace OpenTunnel.Gateway.Connections;

/// <summary>
/// A configuration in force, with what was built from it: the parsed tunnel settings, the
/// server certificate and the token validator. Swapped as a whole on reload, so a connection
/// always sees one consistent version.
/// </summary>
public sealed record RunningConfiguration(GatewayOptions Options, TunnelSettings Tunnel, ServerCertificate Certificate, IAccessTokenValidator Validator, string Origin, DateTimeOffset AppliedAt);
