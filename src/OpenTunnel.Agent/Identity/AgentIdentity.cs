using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Agent.Identity;

/// <summary>
/// Who the agent is once enrolled, as <c>agent.json</c> records it; <c>AgentEndpoint</c> is the
/// base URL of the management service's mutual-TLS agent endpoint.
/// </summary>
public sealed record AgentRegistration(
    Guid ServerId,
    string ServerName,
    Guid SiteId,
    string SiteName,
    string AgentEndpoint,
    string ManagementUrl,
    DateTime EnrolledAt);

/// <summary>
/// An enrolled agent: its registration, its client certificate with the private key, and the
/// internal CA of the management service, which it pins.
/// </summary>
public sealed class AgentIdentity(AgentRegistration registration, X509Certificate2 certificate, X509Certificate2 authority) : IDisposable
{
    public AgentRegistration Registration { get; } = registration;

    /// <summary>The client certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>The management service's agent CA.</summary>
    public X509Certificate2 Authority { get; } = authority;

    public void Dispose()
    {
        Certificate.Dispose();
        Authority.Dispose();
    }
}
