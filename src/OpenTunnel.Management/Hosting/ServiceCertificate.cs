using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using OpenTunnel.Management.Agents;

namespace OpenTunnel.Management.Hosting;

/// <summary>
/// The certificate the HTTPS endpoints present: the operator's (<see cref="HttpsOptions.CertificateFile"/>),
/// read again on the first connection after one of its files changed, or else the one the
/// deployment's CA issues for this host (<see cref="AgentEndpointCertificate"/>: every address of
/// this machine, its name and FQDN, renewed on its own). The HTTPS CA is the agent CA: one pin for
/// agents, devices and gateways, and its leaves are told apart by usage (agents' certificates are
/// for client authentication only, so none can stand in for the service).
/// A replacement that cannot be used (half written, wrong key, expired) is logged and the
/// certificate in use stays; at start such a file stops the service.
/// </summary>
public sealed partial class ServiceCertificate(
    IOptions<HttpsOptions> options, AgentEndpointCertificate issued, TimeProvider clock, ILogger<ServiceCertificate> logger)
{
    private readonly Lock _gate = new();
    private SslStreamCertificateContext? _operator;
    private string? _stamp;

    /// <summary>Whether the operator's certificate is used rather than one from the deployment's CA.</summary>
    public bool IsOperatorCertificate => options.Value.CertificateFile is not null;

    /// <summary>The certificate (and chain) for the next TLS handshake.</summary>
    public SslStreamCertificateContext Current => IsOperatorCertificate ? Operator(atStart: false) : issued.Current;

    /// <summary>Loads the operator's certificate once, so that an unusable one stops the start with its reason.</summary>
    /// <exception cref="InvalidOperationException">The operator's certificate cannot be used; the message names the setting and why.</exception>
    public void LoadAtStart()
    {
        SslStreamCertificateContext context = IsOperatorCertificate ? Operator(atStart: true) : issued.Current;
        LogServing(logger, context.TargetCertificate.Subject, IsOperatorCertificate ? options.Value.CertificateFile! : "the deployment's CA", context.TargetCertificate.NotAfter.ToUniversalTime());
    }

    private SslStreamCertificateContext Operator(bool atStart)
    {
        HttpsOptions settings = options.Value;
        string stamp = Stamp(settings);
        lock (_gate)
        {
            if (_operator is not null && stamp == _stamp)
            {
                return _operator;
            }

            // A failed replacement is not read again on every connection, only when it changes again.
            _stamp = stamp;
            try
            {
                SslStreamCertificateContext loaded = Load(settings, clock.GetUtcNow());
                if (_operator is not null)
                {
                    LogReplaced(logger, settings.CertificateFile!, loaded.TargetCertificate.Subject, loaded.TargetCertificate.Thumbprint);
                }

                _operator = loaded;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                string problem = $"{HttpsOptions.Section}:CertificateFile '{settings.CertificateFile}' cannot be used: {e.Message}";
                if (atStart || _operator is null)
                {
                    throw new InvalidOperationException(problem, e);
                }

                LogReplacementRefused(logger, problem, _operator.TargetCertificate.Subject);
            }

            return _operator;
        }
    }

    /// <summary>The files' times and sizes: a change of either means read them again.</summary>
    private static string Stamp(HttpsOptions settings)
    {
        var stamp = new System.Text.StringBuilder();
        foreach (string? path in new[] { settings.CertificateFile, settings.KeyFile, settings.PasswordFile })
        {
            if (path is not null)
            {
                var file = new FileInfo(path);
                stamp.Append(file.Exists ? $"{file.LastWriteTimeUtc.Ticks}:{file.Length};" : "missing;");
            }
        }

        return stamp.ToString();
    }

    private static SslStreamCertificateContext Load(HttpsOptions settings, DateTimeOffset now)
    {
        string path = settings.CertificateFile!;
        string? password = settings.PasswordFile is null ? null : File.ReadLines(settings.PasswordFile).FirstOrDefault() ?? string.Empty;
        X509Certificate2 leaf;
        var chain = new X509Certificate2Collection();
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
        {
            X509Certificate2Collection all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
            leaf = all.Cast<X509Certificate2>().FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new InvalidOperationException("the PKCS#12 file holds no certificate with its private key.");
            chain.AddRange(all.Cast<X509Certificate2>().Where(c => !ReferenceEquals(c, leaf)).ToArray());
        }
        else
        {
            string keyPath = settings.KeyFile ?? path;
            using X509Certificate2 pem = password is null ? X509Certificate2.CreateFromPemFile(path, keyPath) : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);

            // A key read from PEM is ephemeral; a PKCS#12 round trip gives one every TLS stack accepts.
            leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(path);
            chain.AddRange(all.Cast<X509Certificate2>().Where(c => c.Thumbprint != leaf.Thumbprint).ToArray());
        }

        if (now > leaf.NotAfter.ToUniversalTime() || now < leaf.NotBefore.ToUniversalTime())
        {
            throw new InvalidOperationException($"'{leaf.Subject}' is valid from {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u}, not now.");
        }

        if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == InternalCertificateAuthority.ServerAuthentication.Value))
        {
            throw new InvalidOperationException($"'{leaf.Subject}' is not for server authentication (extended key usage).");
        }

        return SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "HTTPS certificate '{Subject}' from {Source}, valid until {NotAfter:u}.")]
    private static partial void LogServing(ILogger logger, string subject, string source, DateTime notAfter);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "The HTTPS certificate file {File} changed: now serving '{Subject}' ({Thumbprint}).")]
    private static partial void LogReplaced(ILogger logger, string file, string subject, string thumbprint);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Error, Message = "{Problem}; still serving '{Subject}'.")]
    private static partial void LogReplacementRefused(ILogger logger, string problem, string subject);
}
