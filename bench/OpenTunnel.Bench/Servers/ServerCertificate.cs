using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Bench.Servers;

/// <summary>
/// The one self-signed server certificate every gateway of a run uses (ECDSA P-256), written
/// as PEM files, and its pin in the form openconnect --servercert takes.
/// </summary>
internal sealed record ServerCertificate(string CertificatePath, string KeyPath, string PinSha256)
{
    /// <summary>"pin-sha256:BASE64" for openconnect --servercert.</summary>
    public string OpenConnectPin => "pin-sha256:" + PinSha256;

    /// <summary>Creates a certificate for <paramref name="address"/> valid for three days, with files under <paramref name="folder"/>.</summary>
    public static ServerCertificate Create(string folder, IPAddress address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={address}, O=OpenTunnel benchmark", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        // Longer than the gateway's Tls:ExpiryWarningDays (30), so that a run logs no expiry warning.
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(90));

        string certificatePath = Path.Combine(folder, "server-cert.pem");
        string keyPath = Path.Combine(folder, "server-key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, string.Empty);
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        string pin = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        return new ServerCertificate(certificatePath, keyPath, pin);
    }
}
