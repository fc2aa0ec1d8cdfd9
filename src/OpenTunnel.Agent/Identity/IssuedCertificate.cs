using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Agent.Identity;

/// <summary>What the agent checks of a certificate the management service issued it, at enrolment and at renewal.</summary>
public static class IssuedCertificate
{
    /// <summary>Throws <see cref="InvalidOperationException"/> unless the certificate is for <paramref name="key"/> and chains to <paramref name="authority"/>.</summary>
    public static void Verify(string certificatePem, ECDsa key, X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(authority);
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(certificatePem);
        using ECDsa? issuedKey = certificate.GetECDsaPublicKey();
        if (issuedKey is null || !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new InvalidOperationException("The management service returned a certificate for another key; it is not stored.");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            string status = chain.ChainStatus.Length > 0 ? chain.ChainStatus[0].StatusInformation.Trim() : "unknown";
            throw new InvalidOperationException($"The certificate returned does not chain to the management service's agent CA ({status}); it is not stored.");
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
