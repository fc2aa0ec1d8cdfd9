namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// Body of POST /api/v1/enrolment: a server joins a site with a one-time token and asks for
/// its client certificate with a PKCS#10 request (PEM). The management service chooses the
/// certificate's subject and extensions itself; only the request's public key is taken.
/// </summary>
public sealed record EnrolmentRequest(string? Token, string? ServerName, string? CertificateRequest, string? SoftwareVersion = null);

/// <summary>
/// The answer to an enrolment: the server as recorded, its client certificate, the internal
/// CA the agent pins from now on, and the URL of the mutual-TLS endpoint it talks to.
/// </summary>
/// <param name="Id">The server's id (also the certificate's subject common name).</param>
/// <param name="Name">The server's name in the site.</param>
/// <param name="SiteId">The site the server joined.</param>
/// <param name="SiteName">The site's name.</param>
/// <param name="Certificate">The client certificate (PEM).</param>
/// <param name="CaCertificate">The internal CA certificate (PEM) that issued it and the agent endpoint's server certificate.</param>
/// <param name="CaPin">pin-sha256 of the CA's public key, as an administrator sees it in the API.</param>
/// <param name="AgentEndpoint">Base URL of the agent endpoint, for example https://management.example.com:8443.</param>
public sealed record EnrolmentResponse(
    Guid Id,
    string Name,
    Guid SiteId,
    string SiteName,
    string Certificate,
    string CaCertificate,
    string CaPin,
    string AgentEndpoint);

/// <summary>Body of POST /agent/v1/certificate: a new key's PKCS#10 request (PEM), signed in with the current certificate.</summary>
public sealed record CertificateRenewalRequest(string? CertificateRequest);

/// <summary>The renewed client certificate and the CA (PEM).</summary>
public sealed record CertificateRenewalResponse(string Certificate, string CaCertificate, DateTime NotAfter);
