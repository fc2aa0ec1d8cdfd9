using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Identity;

/// <summary>
/// Who signs a renewed agent certificate: the management service over the current mutual-TLS
/// link (<c>Link/ManagementLink</c>), so that renewal does not depend on how the link is made.
/// </summary>
public interface ICertificateSigner
{
    /// <summary>Sends the certificate request (PEM) and returns the service's answer.</summary>
    Task<CertificateRenewalResponse> RenewAsync(string certificateRequestPem, CancellationToken cancellationToken);
}
