using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>Certificates for hostile servers: self-signed ones, ones of a CA of the test's own, and ones the real agent CA signs (with its key from the service's data directory).</summary>
public static class TestCertificates
{
    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A new CA: its certificate with its key.</summary>
    public static X509Certificate2 NewAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The real agent CA of <paramref name="server"/>, with its key (read from the service's data directory).</summary>
    public static X509Certificate2 RealAuthority(ManagementServer server)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(server.DataDirectory, InternalCertificateAuthority.KeyFileName)));
        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(server.Authority.Certificate.RawData);
        using X509Certificate2 withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A self-signed leaf for <paramref name="key"/> that names <paramref name="names"/>, for server authentication.</summary>
    public static X509Certificate2 SelfSigned(ECDsa key, params string[] names)
    {
        CertificateRequest request = Leaf("CN=OpenTunnel management agent endpoint, O=OpenTunnel", key, names, ServerAuthentication);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A leaf for <paramref name="key"/> that <paramref name="authority"/> (with its key) issues, naming <paramref name="names"/>, for <paramref name="usage"/>.</summary>
    public static X509Certificate2 Issued(X509Certificate2 authority, ECDsa key, Oid usage, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(authority);
        CertificateRequest request = Leaf("CN=OpenTunnel management agent endpoint, O=OpenTunnel", key, names, usage);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        return request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>An agent's client certificate for <paramref name="key"/> issued by <paramref name="authority"/> to <paramref name="serverId"/>, as the service issues them.</summary>
    public static X509Certificate2 AgentCertificate(X509Certificate2 authority, ECDsa key, Guid serverId)
    {
        var request = new CertificateRequest($"CN={serverId}, O=OpenTunnel agent", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        return request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>A leaf for the public key of a PEM PKCS#10 request, issued by <paramref name="authority"/> to <paramref name="serverId"/>.</summary>
    public static X509Certificate2 AgentCertificate(X509Certificate2 authority, string requestPem, Guid serverId)
    {
        CertificateRequest asked = CertificateRequest.LoadSigningRequestPem(requestPem, HashAlgorithmName.SHA256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={serverId}, O=OpenTunnel agent"), asked.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        return request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(16));
    }

    private static CertificateRequest Leaf(string subject, ECDsa key, string[] names, Oid usage)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var alternative = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            if (IPAddress.TryParse(name, out IPAddress? address))
            {
                alternative.AddIpAddress(address);
            }
            else
            {
                alternative.AddDnsName(name);
            }
        }

        if (names.Length > 0)
        {
            request.CertificateExtensions.Add(alternative.Build());
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        return request;
    }
}
