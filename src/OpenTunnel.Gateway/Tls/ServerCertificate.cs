using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Streams;
using OpenTunnel.Trust;

namespace OpenTunnel.Gateway.Tls;

/// <summary>
/// The server certificate with its chain, ready for SslStream, and its pin: base64 of the SHA-256
/// of the SubjectPublicKeyInfo, the value <c>openconnect --servercert pin-sha256:...</c> takes.
/// </summary>
public sealed class ServerCertificate
{
    /// <summary>File name of the generated certificate (with its key) in the data directory.</summary>
    public const string SelfSignedFileName = "self-signed.pem";

    /// <summary>The self-signed certificate's lifetime when made or renewed.</summary>
    public static readonly TimeSpan SelfSignedLifetime = TimeSpan.FromDays(730);

    private ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, string source, bool generated, DateTimeOffset? renewedFrom = null)
    {
        Certificate = certificate;
        Context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
        Pin = CertificatePins.HashOf(certificate);
        Source = source;
        Generated = generated;
        RenewedFrom = renewedFrom;
    }

    public X509Certificate2 Certificate { get; }

    public SslStreamCertificateContext Context { get; }

    public string Pin { get; }

    /// <summary>The file it came from.</summary>
    public string Source { get; }

    /// <summary>True when it was generated at this start (no certificate was configured or generated before).</summary>
    public bool Generated { get; }

    /// <summary>When this load renewed the self-signed certificate: the old one's end of validity; null otherwise.</summary>
    public DateTimeOffset? RenewedFrom { get; }

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime());

    /// <summary>What the gateway's TLS listener offers with this certificate: TLS 1.2 and 1.3, no client certificate.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = Context,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>
    /// Has the connections of this certificate hand their TLS 1.3 traffic secrets over from the first
    /// one on (<see cref="TlsTrafficSecretsSource.Watch"/>), so that the gateway takes each one's
    /// records over at its CONNECT (<see cref="TlsRecordStream"/>). .NET makes the OpenSSL context
    /// that all of a certificate's connections share at its first handshake, and the key-log
    /// callback can only go on a context that exists: so a handshake with itself, in memory and
    /// with <see cref="ServerOptions"/>, makes it first. Without this, the first client after each
    /// start or reload kept SslStream for its whole session. False, and the first real handshake
    /// installs the callback as before, when the handshake or the watch fails; it says why.
    /// </summary>
    public bool WatchSecrets(TimeSpan timeout, out string? why)
    {
        SslStream client, server;
        try
        {
            (client, server) = HandshakeInMemory(timeout);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            why = "a TLS handshake with itself failed: " + e.Message;
            return false;
        }

        using (client)
        using (server)
        {
            bool watched = TlsTrafficSecretsSource.Watch(server);
            why = watched ? null : "the OpenSSL context logs its keys elsewhere already (SSLKEYLOGFILE)";
            return watched;
        }
    }

    /// <summary>
    /// One TLS handshake of this certificate with itself, in memory, with <see cref="ServerOptions"/>
    /// on the server's end, as a client's at the listener; the caller disposes both ends. Throws
    /// what a failed handshake throws, or <see cref="OperationCanceledException"/> after <paramref name="timeout"/>.
    /// </summary>
    internal (SslStream Client, SslStream Server) HandshakeInMemory(TimeSpan timeout)
    {
        var (clientEnd, serverEnd) = InMemoryDuplexStream.CreatePair();
        var server = new SslStream(serverEnd);
        var client = new SslStream(clientEnd, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            Task.WhenAll(
                server.AuthenticateAsServerAsync(ServerOptions(), cancel.Token),
                client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "opentunnel-gateway" }, cancel.Token))
                .GetAwaiter().GetResult();
            return (client, server);
        }
        catch
        {
            client.Dispose();
            server.Dispose();
            throw;
        }
    }

    /// <summary>The certificate against <paramref name="now"/> and Tls:ExpiryWarningDays (<paramref name="warningDays"/>).</summary>
    public CertificateExpiry Expiry(DateTimeOffset now, int warningDays) =>
        CertificateExpiry.Assess(new DateTimeOffset(Certificate.NotBefore.ToUniversalTime()), NotAfter, now, warningDays);

    /// <summary>
    /// Loads the configured PEM or PFX, or the self-signed certificate of the data directory,
    /// generating it on first use. With <paramref name="renewSelfSigned"/>, a self-signed
    /// certificate that is not valid at <paramref name="now"/> or expires within
    /// Tls:ExpiryWarningDays is issued again for the same key (so its pin stays) and saved. Throws
    /// <see cref="GatewayConfigurationException"/> naming the setting when a file is missing or
    /// unreadable.
    /// </summary>
    public static ServerCertificate Load(TlsOptions tls, string dataDirectory, DateTimeOffset now, bool renewSelfSigned = true)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (tls.CertificateFile is null)
        {
            return LoadOrCreateSelfSigned(dataDirectory, now, renewSelfSigned ? tls.ExpiryWarningDays : null);
        }

        if (!File.Exists(tls.CertificateFile))
        {
            throw new GatewayConfigurationException($"Tls:CertificateFile '{tls.CertificateFile}' does not exist.");
        }

        if (tls.KeyFile is not null && !File.Exists(tls.KeyFile))
        {
            throw new GatewayConfigurationException($"Tls:KeyFile '{tls.KeyFile}' does not exist.");
        }

        try
        {
            if (GatewayOptionsValidator.IsPfx(tls.CertificateFile))
            {
                var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(tls.CertificateFile, tls.PfxPassword);
                X509Certificate2? leaf = null;
                var chain = new X509Certificate2Collection();
                foreach (var certificate in all)
                {
                    if (leaf is null && certificate.HasPrivateKey)
                    {
                        leaf = certificate;
                    }
                    else
                    {
                        chain.Add(certificate);
                    }
                }

                return leaf is null
                    ? throw new GatewayConfigurationException($"Tls:CertificateFile '{tls.CertificateFile}' holds no certificate with a private key.")
                    : new ServerCertificate(leaf, chain, tls.CertificateFile, generated: false);
            }

            return FromPem(tls.CertificateFile, tls.KeyFile ?? tls.CertificateFile, generated: false);
        }
        catch (CryptographicException e)
        {
            throw new GatewayConfigurationException($"Tls:CertificateFile '{tls.CertificateFile}' cannot be read: {e.Message}");
        }
    }

    private static ServerCertificate FromPem(string certificateFile, string keyFile, bool generated, DateTimeOffset? renewedFrom = null)
    {
        // On Linux the PEM key can be used by SslStream as it is (no PFX round trip needed).
        var leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificateFile);
        for (int i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i].Thumbprint == leaf.Thumbprint)
            {
                chain.RemoveAt(i);
            }
        }

        return new ServerCertificate(leaf, chain, certificateFile, generated, renewedFrom);
    }

    private static ServerCertificate LoadOrCreateSelfSigned(string dataDirectory, DateTimeOffset now, int? renewWithinDays)
    {
        string path = Path.Combine(dataDirectory, SelfSignedFileName);
        if (File.Exists(path))
        {
            ServerCertificate loaded;
            try
            {
                loaded = FromPem(path, path, generated: false);
            }
            catch (CryptographicException e)
            {
                throw new GatewayConfigurationException($"The self-signed certificate '{path}' cannot be read ({e.Message}); delete it to have a new one made.");
            }

            if (renewWithinDays is not { } days || loaded.Expiry(now, days).Validity == CertificateValidity.Valid)
            {
                return loaded;
            }

            using ECDsa? key = loaded.Certificate.GetECDsaPrivateKey();
            if (key is null)
            {
                throw new GatewayConfigurationException($"The self-signed certificate '{path}' {loaded.Expiry(now, days).Describe()} and its key is not ECDSA, so it cannot be renewed with the same pin; delete it to have a new one made (clients then need the new pin).");
            }

            WriteSelfSigned(path, key, now);
            return FromPem(path, path, generated: false, renewedFrom: loaded.NotAfter);
        }

        Directory.CreateDirectory(dataDirectory);
        // ECDSA P-256: a cheaper handshake than RSA, and GnuTLS (openconnect) takes it.
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSelfSigned(path, newKey, now);
        return FromPem(path, path, generated: true);
    }

    /// <summary>A self-signed server certificate for <paramref name="key"/>, valid from a day before <paramref name="now"/> for <see cref="SelfSignedLifetime"/>, saved with its key.</summary>
    private static void WriteSelfSigned(string path, ECDsa key, DateTimeOffset now)
    {
        var request = new CertificateRequest("CN=OpenTunnel gateway (self-signed)", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Environment.MachineName);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now + SelfSignedLifetime);
        string pem = certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
        try
        {
            OwnerOnlyFiles.WriteAtomically(path, pem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GatewayConfigurationException($"The self-signed certificate '{path}' cannot be written: {e.Message}");
        }
    }
}
