using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Identity;

/// <summary>
/// Renews the agent's certificate unattended before it expires: when less than the configured
/// share of its lifetime is left, a new key is made, the management service signs it over the
/// current mutual-TLS link, and key and certificate replace the old ones in one file.
/// </summary>
public sealed partial class CertificateRenewer(AgentIdentityStore store, int renewWhenRemainingPercent, ILogger logger)
{
    public bool IsDue(AgentIdentity identity, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        DateTime notBefore = identity.Certificate.NotBefore.ToUniversalTime();
        DateTime notAfter = identity.Certificate.NotAfter.ToUniversalTime();
        return notAfter - now < (notAfter - notBefore) * (renewWhenRemainingPercent / 100.0);
    }

    /// <summary>The renewed identity (the caller presents it from now on), or null when renewal is not due yet.</summary>
    public async Task<AgentIdentity?> RenewIfDueAsync(AgentIdentity identity, ICertificateSigner signer, DateTime now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(signer);
        if (!IsDue(identity, now))
        {
            return null;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await signer.RenewAsync(IssuedCertificate.Request(key, identity.Registration.ServerName), cancellationToken);
        Check(response, key, identity);
        store.SaveCredential(response.Certificate, key);
        AgentIdentity renewed = store.Load();
        LogRenewed(logger, identity.Certificate.NotAfter.ToUniversalTime(), renewed.Certificate.SerialNumber, renewed.Certificate.NotAfter.ToUniversalTime());
        return renewed;
    }

    /// <summary>
    /// The renewed certificate must be for the new key, issued by the pinned agent CA for client
    /// authentication to this server; a CA named in the answer must be the pinned one (the agent
    /// never takes another CA from the service after enrolment).
    /// </summary>
    internal static void Check(CertificateRenewalResponse response, ECDsa key, AgentIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(identity);
        if (!string.IsNullOrWhiteSpace(response.CaCertificate))
        {
            using (X509Certificate2 named = IssuedCertificate.FromPem(response.CaCertificate, why => $"The renewal answer's CA certificate cannot be read ({why}); the renewed certificate is not stored."))
            {
                if (!named.RawDataMemory.Span.SequenceEqual(identity.Authority.RawDataMemory.Span))
                {
                    throw new InvalidOperationException(
                        $"The renewal answer names the CA {CertificatePins.Of(named)} ('{named.Subject}'), not the pinned agent CA {CertificatePins.Of(identity.Authority)}; the renewed certificate is not stored and the pinned CA stays.");
                }
            }
        }

        IssuedCertificate.Verify(response.Certificate, key, identity.Authority, identity.Registration.ServerId);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Renewed the agent certificate (the old one expires {OldNotAfter:u}): serial {Serial}, valid until {NotAfter:u}.")]
    private static partial void LogRenewed(ILogger logger, DateTime oldNotAfter, string serial, DateTime notAfter);
}
