using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Link;

/// <summary>
/// Decides whether the management service's TLS certificate is trusted. Whenever a CA is
/// trusted (the pinned agent CA after enrolment, the CA with the pin given at enrolment, a CA
/// file) the presented leaf must chain to that CA alone: custom root trust with only that
/// certificate as root (what the server sent serves only as intermediates, never as an anchor),
/// the server-authentication usage, and the name or IP address the agent connects to. Holding
/// the CA's certificate, which is public, proves nothing; a certificate the CA issued for another
/// purpose (an agent's client certificate) or another host is refused too.
/// Without a pin or CA file the system's trust store decides; with trust on first use anything
/// is accepted and its pins are printed.
/// </summary>
public sealed class ManagementTrust
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly TrustMode _mode;
    private readonly string _host;
    private readonly X509Certificate2Collection? _roots;
    private readonly X509Certificate2? _fetchedAuthority;
    private readonly string? _pin;
    private readonly TextWriter? _notice;
    private readonly Lock _gate = new();
    private readonly List<byte[]> _anchors = [];

    private ManagementTrust(TrustMode mode, string host, X509Certificate2Collection? roots = null, string? pin = null, X509Certificate2? fetchedAuthority = null, TextWriter? notice = null)
    {
        _mode = mode;
        _host = host;
        _roots = roots;
        _pin = pin;
        _fetchedAuthority = fetchedAuthority;
        _notice = notice;
    }

    private enum TrustMode
    {
        PinnedAuthority,
        Pin,
        CaFile,
        TrustOnFirstUse,
        System,
        Any,
    }

    /// <summary>Why the last certificate was refused, for the error a person reads.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>
    /// The link's trust: only certificates the pinned agent CA issued for server authentication
    /// that name the host of <paramref name="endpoint"/>.
    /// </summary>
    public static ManagementTrust PinnedAuthority(X509Certificate2 authority, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return new(TrustMode.PinnedAuthority, HostOf(endpoint), [X509CertificateLoader.LoadCertificate(authority.RawData)]);
    }

    /// <summary>
    /// Enrolment's trust for a connection to <paramref name="management"/>. With a pin, the CA
    /// with that pin, taken from what the server presents or from the agent CA fetched from the
    /// service (<paramref name="fetchedAuthority"/>, which TLS servers do not send themselves), is
    /// the only root the presented leaf may chain to. With a CA file, those CAs. With
    /// <paramref name="trustOnFirstUse"/> anything, and the pins are written to
    /// <paramref name="notice"/> so the administrator can compare them. Else the system's trust store.
    /// </summary>
    public static ManagementTrust ForEnrolment(Uri management, string? pin, X509Certificate2? fetchedAuthority, X509Certificate2Collection? caFile, bool trustOnFirstUse, TextWriter notice)
    {
        string host = HostOf(management);
        if (pin is not null)
        {
            return new(TrustMode.Pin, host, pin: pin, fetchedAuthority: fetchedAuthority, notice: notice);
        }

        if (caFile is not null)
        {
            return new(TrustMode.CaFile, host, roots: caFile, notice: notice);
        }

        return trustOnFirstUse
            ? new(TrustMode.TrustOnFirstUse, host, fetchedAuthority: fetchedAuthority, notice: notice)
            : new(TrustMode.System, host, notice: notice);
    }

    /// <summary>Accepts any certificate: only for reading the agent CA, which is then checked against the pin.</summary>
    public static ManagementTrust Any() => new(TrustMode.Any, string.Empty);

    /// <summary>
    /// Whether <paramref name="authority"/> is, byte for byte, a CA certificate that the leaf of a
    /// connection this trust accepted was checked to chain to (pin, pinned CA or CA file).
    /// </summary>
    public bool Anchored(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        lock (_gate)
        {
            return _anchors.Exists(a => a.AsSpan().SequenceEqual(authority.RawDataMemory.Span));
        }
    }

    public bool Validate(X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            LastProblem = "the management service sent no certificate";
            return false;
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        List<X509Certificate2> sent = Presented(leaf, chain);
        try
        {
            switch (_mode)
            {
                case TrustMode.Any:
                    return true;

                case TrustMode.PinnedAuthority:
                    return ChainsTo(leaf, sent, _roots!, $"the management service's agent CA {CertificatePins.Of(_roots![0])} (pinned at enrolment)");

                case TrustMode.Pin:
                    return ChainsToPin(leaf, sent);

                case TrustMode.CaFile:
                    return ChainsTo(leaf, sent, _roots!, "the CA file");

                case TrustMode.TrustOnFirstUse:
                    _notice?.WriteLine($"Trusting the management service's certificate on first use: '{leaf.Subject}', valid until {leaf.NotAfter.ToUniversalTime():u}.");
                    foreach (X509Certificate2 certificate in sent)
                    {
                        _notice?.WriteLine($"  {CertificatePins.Of(certificate)}  {certificate.Subject}");
                    }

                    if (_fetchedAuthority is not null)
                    {
                        _notice?.WriteLine($"  {CertificatePins.Of(_fetchedAuthority)}  {_fetchedAuthority.Subject} (the agent CA it serves)");
                    }

                    _notice?.WriteLine("Compare these pins with the one your administrator sees (GET /api/v1/agent-ca); from now on only the agent CA stored at enrolment is trusted.");
                    return true;

                default: // TrustMode.System: the platform checked chain and name against the system's trust store.
                    if (errors != SslPolicyErrors.None)
                    {
                        LastProblem = $"the certificate '{leaf.Subject}' is not trusted by this system ({errors}); give --ca-pin (shown with the enrolment token), --ca-file, or --trust-on-first-use";
                        return false;
                    }

                    if (!AllowsServerAuthentication(leaf))
                    {
                        LastProblem = $"the certificate '{leaf.Subject}' is not for server authentication";
                        return false;
                    }

                    return true;
            }
        }
        finally
        {
            foreach (X509Certificate2 certificate in sent)
            {
                if (!ReferenceEquals(certificate, leaf))
                {
                    certificate.Dispose();
                }
            }
        }
    }

    /// <summary>The host a certificate must name for <paramref name="uri"/>: its DNS name or IP address, without brackets.</summary>
    internal static string HostOf(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IdnHost.Trim('[', ']');
    }

    /// <summary>
    /// The pinned CA is a certificate with the pin among those the server sent or the one fetched;
    /// the leaf must chain to it as the only root. A server that merely sends the CA's certificate
    /// (which anyone can) beside a leaf of its own is refused.
    /// </summary>
    private bool ChainsToPin(X509Certificate2 leaf, List<X509Certificate2> sent)
    {
        var candidates = sent.FindAll(c => CertificatePins.Of(c) == _pin);
        if (_fetchedAuthority is not null && CertificatePins.Of(_fetchedAuthority) == _pin
            && !candidates.Exists(c => c.RawDataMemory.Span.SequenceEqual(_fetchedAuthority.RawDataMemory.Span)))
        {
            candidates.Add(_fetchedAuthority);
        }

        if (candidates.Count == 0)
        {
            string fetched = _fetchedAuthority is null ? "it serves no agent CA" : $"the agent CA it serves has {CertificatePins.Of(_fetchedAuthority)}";
            LastProblem = $"no certificate of the presented chain, nor the agent CA the service serves, has the pin {_pin} (it presented {string.Join(", ", sent.ConvertAll(CertificatePins.Of))}; {fetched})";
            return false;
        }

        List<X509Certificate2> authorities = candidates.FindAll(IsAuthority);
        if (authorities.Count == 0)
        {
            LastProblem = $"the pin {_pin} is of '{candidates[0].Subject}', which is not a CA certificate: give the pin of the management service's agent CA (shown with the enrolment token)";
            return false;
        }

        string? problem = null;
        foreach (X509Certificate2 authority in authorities)
        {
            if (ChainsTo(leaf, sent, [authority], $"the agent CA with the pin {_pin}"))
            {
                return true;
            }

            problem ??= LastProblem;
        }

        LastProblem = problem;
        return false;
    }

    /// <summary>
    /// Whether <paramref name="leaf"/> chains to one of <paramref name="roots"/>, and only to
    /// them, for server authentication, and names the host; the roots are the only trust anchors,
    /// what the server sent is used only to find intermediates.
    /// </summary>
    private bool ChainsTo(X509Certificate2 leaf, List<X509Certificate2> sent, X509Certificate2Collection roots, string what)
    {
        using X509Chain own = DeploymentTrust.ServerChain(roots, sent.Where(c => !ReferenceEquals(c, leaf)));
        if (!own.Build(leaf))
        {
            var statuses = new List<string>();
            foreach (X509ChainStatus status in own.ChainStatus)
            {
                statuses.Add(status.StatusInformation.Trim());
            }

            LastProblem = $"the certificate '{leaf.Subject}' the server presented was not issued by {what} for server authentication ({string.Join("; ", statuses.Distinct())}); sending that CA's certificate along proves nothing";
            return false;
        }

        // Custom root trust anchors only in the custom store; checked again, cheaply, so that no
        // platform difference can let a certificate the server sent become the anchor.
        X509Certificate2 anchor = own.ChainElements[^1].Certificate;
        X509Certificate2? root = roots.Cast<X509Certificate2>().FirstOrDefault(r => r.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span));
        if (root is null)
        {
            LastProblem = $"the certificate '{leaf.Subject}' chains to '{anchor.Subject}', which is not {what}";
            return false;
        }

        if (!leaf.MatchesHostname(_host, allowWildcards: true, allowCommonName: false))
        {
            LastProblem = $"the certificate '{leaf.Subject}' was issued by {what} but does not name {_host}, the host the agent connects to (it names {NamesOf(leaf)})";
            return false;
        }

        lock (_gate)
        {
            if (!_anchors.Exists(a => a.AsSpan().SequenceEqual(root.RawDataMemory.Span)))
            {
                _anchors.Add(root.RawData);
            }
        }

        LastProblem = null;
        return true;
    }

    private static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };

    private static bool AllowsServerAuthentication(X509Certificate2 leaf)
    {
        foreach (X509Extension extension in leaf.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                return usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ServerAuthentication.Value);
            }
        }

        return true;
    }

    private static string NamesOf(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension alternative)
            {
                names.AddRange(alternative.EnumerateDnsNames());
                foreach (IPAddress address in alternative.EnumerateIPAddresses())
                {
                    names.Add(address.ToString());
                }
            }
        }

        return names.Count == 0 ? "no DNS name or IP address" : string.Join(", ", names);
    }

    /// <summary>The leaf and every other certificate the server sent (copies, disposed by the caller).</summary>
    private static List<X509Certificate2> Presented(X509Certificate2 leaf, X509Chain? chain)
    {
        var sent = new List<X509Certificate2> { leaf };
        if (chain is null)
        {
            return sent;
        }

        // The platform puts the certificates of the server's Certificate message in the extra store.
        foreach (X509Certificate2 extra in chain.ChainPolicy.ExtraStore)
        {
            if (!sent.Exists(known => known.RawDataMemory.Span.SequenceEqual(extra.RawDataMemory.Span)))
            {
                sent.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
            }
        }

        return sent;
    }
}
