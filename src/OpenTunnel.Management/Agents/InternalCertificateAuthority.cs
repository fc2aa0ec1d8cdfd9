using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Identity.Keys;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Agents;

/// <summary>
/// The management service's own CA for the agent link. It is made at first start (ECDSA P-256,
/// valid 20 years) and kept in the data directory: the key readable only by the service's user,
/// the certificate beside it. It issues the agents' client certificates (client authentication
/// only) from their PKCS#10 requests, and the agent endpoint's server certificate (server
/// authentication only), so neither can stand in for the other. Agents pin this CA.
/// On PostgreSQL it is kept in the shared secrets instead (<see cref="LoadOrCreateShared"/>), so
/// every replica issues and trusts with the same CA.
/// </summary>
public sealed class InternalCertificateAuthority : IDisposable
{
    public const string CertificateFileName = "agent-ca.pem";
    public const string KeyFileName = "agent-ca-key.pem";

    /// <summary>Name of the CA (certificate and key, PEM) in the shared secrets.</summary>
    public const string SharedName = "agent-ca";

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365 * 20);

    /// <summary>id-kp-clientAuth (RFC 5280 §4.2.1.12).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>id-kp-serverAuth.</summary>
    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Backdating of every certificate, for clocks that run a little behind.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly ECDsa _key;

    private InternalCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
        CertificatePem = certificate.ExportCertificatePem();
        Pin = CertificatePins.Of(certificate);
    }

    /// <summary>The CA certificate, without its key.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem { get; }

    /// <summary>"pin-sha256:BASE64" of the CA's public key: what an administrator gives <c>opentunnel-agent enrol --ca-pin</c>.</summary>
    public string Pin { get; }

    /// <summary>Whether <see cref="LoadOrCreate"/> made a new CA.</summary>
    public bool Created { get; private init; }

    /// <summary>
    /// Loads the CA from <paramref name="directory"/>, or makes it there when neither file exists.
    /// The key file is created exclusively with mode 0600, so two replicas starting together on a
    /// shared folder cannot both write one; the loser loads the winner's.
    /// </summary>
    public static InternalCertificateAuthority LoadOrCreate(string directory, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string keyPath = Path.Combine(directory, KeyFileName);
        string certificatePath = Path.Combine(directory, CertificateFileName);
        if (File.Exists(keyPath))
        {
            return Load(keyPath, certificatePath);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            using X509Certificate2 selfSigned = SelfSigned(key, now);
            try
            {
                OwnerOnlyFiles.WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem());
            }
            catch (IOException) when (File.Exists(keyPath))
            {
                key.Dispose();
                return Load(keyPath, certificatePath);
            }

            string pem = selfSigned.ExportCertificatePem();
            File.WriteAllText(certificatePath, pem);
            return new InternalCertificateAuthority(X509Certificate2.CreateFromPem(pem), key) { Created = true };
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the CA from the secrets replicas share, or stores one there: the CA files of
    /// <paramref name="directory"/> when they exist (a single service moving to replicas keeps
    /// its enrolled agents), else a new CA. Two replicas starting at once store one CA; the
    /// other loads it.
    /// </summary>
    public static InternalCertificateAuthority LoadOrCreateShared(ISharedSecretStore store, string directory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string keyPath = Path.Combine(directory, KeyFileName);
        string? made = null;
        string stored = store.GetOrAdd(
            SharedName,
            () =>
            {
                if (File.Exists(keyPath))
                {
                    using InternalCertificateAuthority files = Load(keyPath, Path.Combine(directory, CertificateFileName));
                    return made = files.CertificatePem + "\n" + files._key.ExportPkcs8PrivateKeyPem();
                }

                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                using X509Certificate2 selfSigned = SelfSigned(key, now);
                return made = selfSigned.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem();
            },
            now);

        var loaded = ECDsa.Create();
        try
        {
            loaded.ImportFromPem(stored);
            X509Certificate2 certificate = X509Certificate2.CreateFromPem(stored);
            using ECDsa? certificateKey = certificate.GetECDsaPublicKey();
            if (certificateKey is null || !certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(loaded.ExportSubjectPublicKeyInfo()))
            {
                certificate.Dispose();
                throw new InvalidOperationException($"The shared secret {SharedName} holds a CA certificate that does not belong to its key.");
            }

            return new InternalCertificateAuthority(certificate, loaded) { Created = ReferenceEquals(made, stored) };
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            loaded.Dispose();
            throw new InvalidOperationException($"The shared secret {SharedName} is not a PEM certificate and key ({e.Message}).", e);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    private static X509Certificate2 SelfSigned(ECDsa key, DateTimeOffset now)
    {
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN=OpenTunnel agent CA {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}, O=OpenTunnel"),
            key,
            HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now - ClockSkew, now + Lifetime);
    }

    /// <summary>
    /// Issues an agent's client certificate for the public key of <paramref name="requestPem"/>.
    /// The request's signature must verify (the agent holds the key); its subject and extensions
    /// are ignored: the subject is the server's id, the only usage client authentication.
    /// </summary>
    /// <exception cref="CertificateRequestException">The request is not a usable PKCS#10 request.</exception>
    public X509Certificate2 IssueClientCertificate(string requestPem, Guid serverId, DateTimeOffset now, TimeSpan lifetime)
    {
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(requestPem ?? string.Empty, HashAlgorithmName.SHA256);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateRequestException($"is not a PEM PKCS#10 certificate request with a valid signature ({e.Message}).", e);
        }

        RequireStrongKey(request.PublicKey);
        var issued = new CertificateRequest(new X500DistinguishedName($"CN={serverId}, O=OpenTunnel agent"), request.PublicKey, HashAlgorithmName.SHA256);
        issued.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        issued.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        issued.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], false));
        return Sign(issued, now, lifetime);
    }

    /// <summary>A server certificate with its key for the agent endpoint and the HTTPS endpoints, naming <paramref name="hostNames"/> (DNS names or IP addresses).</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> hostNames, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=OpenTunnel management service, O=OpenTunnel"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string name in hostNames)
        {
            if (IPAddress.TryParse(name, out IPAddress? address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        using X509Certificate2 certificate = Sign(request, now, lifetime);
        using X509Certificate2 withKey = certificate.CopyWithPrivateKey(key);

        // A key made in memory cannot always be used by the TLS stack directly; a PKCS#12
        // round trip gives a certificate whose key every platform accepts.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Whether this CA issued <paramref name="certificate"/> for <paramref name="usage"/> and it is
    /// valid at <paramref name="now"/>; <paramref name="problem"/> says what is wrong otherwise.
    /// </summary>
    public bool Verify(X509Certificate2 certificate, Oid usage, DateTimeOffset now, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (chain.Build(certificate))
        {
            problem = null;
            return true;
        }

        var statuses = new List<string>();
        foreach (X509ChainStatus status in chain.ChainStatus)
        {
            statuses.Add(status.Status == X509ChainStatusFlags.UntrustedRoot || status.Status == X509ChainStatusFlags.PartialChain
                ? "not issued by this management service's agent CA"
                : status.StatusInformation.Trim());
        }

        problem = string.Join("; ", statuses.Distinct());
        return false;
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset now, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        DateTimeOffset notAfter = now + lifetime < Certificate.NotAfter ? now + lifetime : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - ClockSkew, notAfter, serial);
    }

    private static void RequireStrongKey(PublicKey key)
    {
        using ECDsa? ec = key.GetECDsaPublicKey();
        if (ec is not null)
        {
            if (ec.KeySize < 256)
            {
                throw new CertificateRequestException($"has an EC key of {ec.KeySize} bits; at least 256 (P-256) are required.");
            }

            return;
        }

        using RSA? rsa = key.GetRSAPublicKey();
        if (rsa is null)
        {
            throw new CertificateRequestException($"has a key of type {key.Oid.FriendlyName ?? key.Oid.Value}; ECDSA (P-256 or larger) or RSA (2048 bits or more) is required.");
        }

        if (rsa.KeySize < 2048)
        {
            throw new CertificateRequestException($"has an RSA key of {rsa.KeySize} bits; at least 2048 are required.");
        }
    }

    private static InternalCertificateAuthority Load(string keyPath, string certificatePath)
    {
        if (!File.Exists(certificatePath))
        {
            throw new InvalidOperationException($"The agent CA key {keyPath} exists but its certificate {certificatePath} does not: restore the certificate from a backup, or move the key away to make a new CA (every agent must then enrol again).");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
            X509Certificate2 certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            using ECDsa? certificateKey = certificate.GetECDsaPublicKey();
            if (certificateKey is null || !certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                certificate.Dispose();
                throw new InvalidOperationException($"The agent CA certificate {certificatePath} does not belong to the key {keyPath}.");
            }

            return new InternalCertificateAuthority(certificate, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}

/// <summary>A certificate request that cannot be signed; the message completes "The certificate request ...".</summary>
public sealed class CertificateRequestException : Exception
{
    public CertificateRequestException()
    {
    }

    public CertificateRequestException(string message)
        : base(message)
    {
    }

    public CertificateRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
