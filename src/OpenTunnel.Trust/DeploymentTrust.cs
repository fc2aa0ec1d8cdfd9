using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Trust;

/// <summary>
/// How a client of the management service and its identity provider (the Linux client, a
/// gateway fetching OIDC discovery and keys) trusts the deployment's HTTPS certificate without
/// the system's trust store: by the pin of the deployment's CA (<c>--ca-pin</c>, printed by the
/// service at start and stored in its data directory) or by a CA file (<c>--ca-file</c>, the
/// service's <c>agent-ca.pem</c> or an operator's CA). The presented leaf must chain to the
/// pinned CA (or a CA of the file) as the only root, allow server authentication and name the
/// host connected to; a CA certificate sent along by the server only counts when its pin is the
/// pinned one, so sending it proves nothing. A pin of the leaf's own key is accepted as well (an
/// operator's certificate pinned directly, as openconnect's <c>--servercert</c> does). A TLS server
/// does not send its root, so with a pin the CA is read from the service first
/// (<see cref="AuthorityPath"/>, over TLS that is not checked yet) and believed only when its pin is
/// the pinned one, as the agent does at enrolment. Verification is never switched off: there is no
/// mode that accepts any certificate.
/// </summary>
public sealed class DeploymentTrust
{
    /// <summary>id-kp-serverAuth (RFC 5280 §4.2.1.12).</summary>
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Where the management service serves the deployment CA's certificate (PEM), without sign-in.</summary>
    public const string AuthorityPath = "/ca.pem";

    private readonly string? _pin;
    private volatile X509Certificate2? _fetchedAuthority;
    private volatile string? _fetchProblem;
    private readonly X509Certificate2Collection? _roots;
    private readonly string _what;

    private DeploymentTrust(string? pin, X509Certificate2Collection? roots, string what)
    {
        _pin = pin;
        _roots = roots;
        _what = what;
    }

    /// <summary>Why the last certificate was refused, for the error a person reads; null after an accepted one.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Trust by <paramref name="pin"/> (<c>pin-sha256:BASE64</c>); <paramref name="setting"/> names the option in the error.</summary>
    /// <exception cref="ArgumentException">The pin is not <c>pin-sha256:</c> and the base64 of 32 bytes.</exception>
    public static DeploymentTrust FromPin(string pin, string setting)
    {
        if (!CertificatePins.IsWellFormed(pin))
        {
            throw new ArgumentException($"{setting} '{pin}' is not a certificate pin: it is {CertificatePins.Prefix} and the base64 of a SHA-256 (44 characters), as the management service prints it.", nameof(pin));
        }

        return new DeploymentTrust(pin, null, $"the CA with the pin {pin}");
    }

    /// <summary>Trust by the CA certificates (PEM) of <paramref name="path"/>; <paramref name="setting"/> names the option in the error.</summary>
    /// <exception cref="ArgumentException">The file cannot be read or holds no CA certificate.</exception>
    public static DeploymentTrust FromCaFile(string path, string setting)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"{setting} '{path}' cannot be read as PEM certificates: {e.Message}", nameof(path), e);
        }

        if (roots.Count == 0 || !roots.Cast<X509Certificate2>().All(IsAuthority))
        {
            throw new ArgumentException($"{setting} '{path}' must hold one or more CA certificates (PEM), such as the management service's agent-ca.pem.", nameof(path));
        }

        return new DeploymentTrust(null, roots, $"the CA file {path}");
    }

    /// <summary>From a pin or a CA file, whichever is given (both is an error); null when neither is, so the system's trust store decides.</summary>
    /// <exception cref="ArgumentException">Both are given, or the one given is unusable.</exception>
    public static DeploymentTrust? From(string? pin, string? caFile, string pinSetting, string caFileSetting)
    {
        if (pin is not null && caFile is not null)
        {
            throw new ArgumentException($"{pinSetting} and {caFileSetting} exclude each other: trust the deployment's CA by its pin or by its file.");
        }

        return pin is not null ? FromPin(pin, pinSetting) : caFile is not null ? FromCaFile(caFile, caFileSetting) : null;
    }

    /// <summary>An HTTP handler whose TLS trust is this one, checking the host of each request; with a pin it reads the pinned CA from the service first.</summary>
    public HttpMessageHandler CreateHandler()
    {
        SocketsHttpHandler handler = Handler((sender, certificate, chain, _) =>
            Validate(HostOf(sender), certificate, chain));
        return _pin is null ? handler : new AuthorityReader(this, handler);
    }

    private static SocketsHttpHandler Handler(RemoteCertificateValidationCallback validate) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

            RemoteCertificateValidationCallback = validate,
        },
    };

    /// <summary>Whether the certificate <paramref name="presented"/> (with what the server sent in <paramref name="chain"/>'s extra store) is trusted for <paramref name="host"/>.</summary>
    public bool Validate(string host, X509Certificate? presented, X509Chain? chain)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Length == 0)
        {
            LastProblem = "the host connected to is not known, so the certificate's names cannot be checked";
            return false;
        }

        if (presented is null)
        {
            LastProblem = "the server sent no certificate";
            return false;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var sent = new X509Certificate2Collection();
        foreach (X509Certificate2 extra in chain?.ChainPolicy.ExtraStore ?? [])
        {
            sent.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
        }

        try
        {
            string? problem = Check(leaf, sent, host);
            LastProblem = problem;
            return problem is null;
        }
        finally
        {
            foreach (X509Certificate2 certificate in sent)
            {
                certificate.Dispose();
            }
        }
    }

    private string? Check(X509Certificate2 leaf, X509Certificate2Collection sent, string host)
    {
        X509Certificate2Collection roots;
        if (_pin is not null)
        {
            if (CertificatePins.Of(leaf) == _pin)
            {
                // The key itself is pinned, as openconnect's --servercert pins it: that key, whatever the names.
                return null;
            }

            roots = [.. sent.Cast<X509Certificate2>().Where(c => CertificatePins.Of(c) == _pin && IsAuthority(c))];
            if (_fetchedAuthority is { } fetched)
            {
                roots.Add(fetched);
            }

            if (roots.Count == 0)
            {
                var pins = new List<string> { CertificatePins.Of(leaf) };
                pins.AddRange(sent.Cast<X509Certificate2>().Select(CertificatePins.Of));
                return $"no CA certificate of the server has the pin {_pin} (it presented {string.Join(", ", pins.Distinct())}; {_fetchProblem ?? "its CA was not read"}): check the pin, which the management service prints at start and keeps in the file ca-pin of its data directory";
            }
        }
        else
        {
            roots = _roots!;
        }

        using X509Chain own = ServerChain(roots, sent.Cast<X509Certificate2>());
        if (!own.Build(leaf))
        {
            string statuses = string.Join("; ", own.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
            return $"the certificate '{leaf.Subject}' was not issued by {_what} for server authentication ({statuses})";
        }

        // Custom root trust anchors only in the custom store; checked again so that no platform
        // difference can let a certificate the server sent become the anchor.
        byte[] anchor = own.ChainElements[^1].Certificate.RawData;
        if (!roots.Cast<X509Certificate2>().Any(r => r.RawDataMemory.Span.SequenceEqual(anchor)))
        {
            return $"the certificate '{leaf.Subject}' does not chain to {_what}";
        }

        return leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: false)
            ? null
            : $"the certificate '{leaf.Subject}' was issued by {_what} but does not name {host}, the host connected to";
    }

    /// <summary>
    /// Reads the CA the service serves at <see cref="AuthorityPath"/> over TLS that is not checked:
    /// what is read is kept only when it is a CA certificate with the pinned pin, and then serves
    /// only as the root the service's certificate must chain to. Null when there is none to read.
    /// </summary>
    private async Task ReadAuthorityAsync(Uri server, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(Handler((_, _, _, _) => true)) { Timeout = TimeSpan.FromSeconds(15), MaxResponseContentBufferSize = 64 * 1024 };
        try
        {
            string pem = await client.GetStringAsync(new Uri(server, AuthorityPath), cancellationToken);
            X509Certificate2 authority = X509Certificate2.CreateFromPem(pem);
            if (CertificatePins.Of(authority) == _pin && IsAuthority(authority))
            {
                _fetchedAuthority = authority;
                return;
            }

            _fetchProblem = $"the CA it serves at {AuthorityPath} has the pin {CertificatePins.Of(authority)}";
            authority.Dispose();
        }
        catch (Exception e) when (e is HttpRequestException or CryptographicException or ArgumentException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _fetchProblem = $"its CA could not be read from {AuthorityPath}: {e.Message}";
        }
    }

    /// <summary>Before a request to an https URL, while the pinned CA is not known yet, reads it from that service.</summary>
    private sealed class AuthorityReader(DeploymentTrust trust, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (trust._fetchedAuthority is null && request.RequestUri is { Scheme: "https" } uri)
            {
                await trust.ReadAuthorityAsync(uri, cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// A chain for a server certificate whose only trust anchors are <paramref name="roots"/>:
    /// custom root trust, server authentication, no revocation check and no downloads; what the
    /// server sent (<paramref name="intermediates"/>) only helps to find intermediates.
    /// </summary>
    public static X509Chain ServerChain(X509Certificate2Collection roots, IEnumerable<X509Certificate2> intermediates)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(intermediates);
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        foreach (X509Certificate2 certificate in intermediates)
        {
            chain.ChainPolicy.ExtraStore.Add(certificate);
        }

        return chain;
    }

    /// <summary>The host the connection was made to: the TLS stream's target host (SocketsHttpHandler sets it from each request's URL), or the request's.</summary>
    private static string HostOf(object? sender) => sender switch
    {
        SslStream { TargetHostName: { Length: > 0 } host } => host.Trim('[', ']'),
        HttpRequestMessage { RequestUri: { } uri } => uri.IdnHost.Trim('[', ']'),
        _ => string.Empty,
    };

    private static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
}
