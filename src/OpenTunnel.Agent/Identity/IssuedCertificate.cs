using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Identity;

/// <summary>What the agent checks of a certificate the management service issued it, at enrolment and at renewal.</summary>
public static class IssuedCertificate
{
    /// <summary>id-kp-clientAuth: the only use the agent's certificate has.</summary>
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless the certificate is for
    /// <paramref name="key"/>, chains to <paramref name="authority"/> (the only root) for client
    /// authentication, and is issued to the server <paramref name="serverId"/> (its common name).
    /// </summary>
    public static void Verify(string certificatePem, ECDsa key, X509Certificate2 authority, Guid serverId)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(authority);
        using (X509Certificate2 certificate = FromPem(certificatePem, why => $"The management service returned no readable certificate ({why}); it is not stored."))
        {
            using ECDsa? issuedKey = certificate.GetECDsaPublicKey();
            if (issuedKey is null || !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new InvalidOperationException("The management service returned a certificate for another key; it is not stored.");
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
            if (!chain.Build(certificate))
            {
                string status = chain.ChainStatus.Length > 0 ? chain.ChainStatus[0].StatusInformation.Trim() : "unknown";
                throw new InvalidOperationException($"The certificate returned was not issued by the management service's agent CA {CertificatePins.Of(authority)} for client authentication ({status}); it is not stored.");
            }

            string subject = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            if (!string.Equals(subject, serverId.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"The certificate returned is issued to '{subject}', not to this server ({serverId}); it is not stored.");
            }
        }
    }

    /// <summary>
    /// The certificate in <paramref name="pem"/>, as the management service sent it; when it cannot be
    /// read, an <see cref="InvalidOperationException"/> whose message <paramref name="unreadable"/>
    /// makes from the reason.
    /// </summary>
    public static X509Certificate2 FromPem(string pem, Func<string, string> unreadable)
    {
        ArgumentNullException.ThrowIfNull(unreadable);
        try
        {
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(unreadable(e.Message), e);
        }
    }

    /// <summary>A new P-256 key's PKCS#10 request, with the server's name as common name (the service sets the subject it issues).</summary>
    public static string Request(ECDsa key, string serverName)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(serverName);
        return new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }
}
