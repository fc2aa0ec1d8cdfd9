using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Link;

/// <summary>
/// Decides whether the management service's TLS certificate is trusted. After enrolment the
/// agent trusts only its pinned agent CA (a certificate that CA issued for server
/// authentication; the host name is not compared, since the CA is private to the deployment and
/// issues server certificates only to the management service). At enrolment it trusts what the
/// administrator gave: a pin of any certificate in the presented chain, a CA file, or the
/// system's trust store; or, when asked to, whatever is presented on first use, printing its pin.
/// </summary>
public sealed class ManagementTrust
{
    private static readonly System.Security.Cryptography.Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection? _roots;
    private readonly X509Certificate2? _fetchedAuthority;
    private readonly string? _pin;
    private readonly bool _trustOnFirstUse;
    private readonly bool _pinnedAuthority;
    private readonly TextWriter? _notice;

    private ManagementTrust(X509Certificate2Collection? roots, string? pin, bool trustOnFirstUse, bool pinnedAuthority, TextWriter? notice, X509Certificate2? fetchedAuthority = null)
    {
        _roots = roots;
        _fetchedAuthority = fetchedAuthority;
        _pin = pin;
        _trustOnFirstUse = trustOnFirstUse;
        _pinnedAuthority = pinnedAuthority;
        _notice = notice;
    }

    /// <summary>Why the last certificate was refused, for the error a person reads.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>The link's trust: only certificates the pinned agent CA issued for server authentication.</summary>
    public static ManagementTrust PinnedAuthority(X509Certificate2 authority) => new([authority], null, false, true, null);

    /// <summary>
    /// Enrolment's trust. A pin matches a certificate the server presents, or the agent CA
    /// fetched from the service (<paramref name="fetchedAuthority"/>, which TLS servers do not
    /// send themselves) when the presented certificate chains to it. With
    /// <paramref name="trustOnFirstUse"/> the pins are written to <paramref name="notice"/> so the
    /// administrator can compare them.
    /// </summary>
    public static ManagementTrust ForEnrolment(string? pin, X509Certificate2? fetchedAuthority, X509Certificate2Collection? caFile, bool trustOnFirstUse, TextWriter notice) =>
        new(caFile, pin, trustOnFirstUse, false, notice, fetchedAuthority);

    /// <summary>Accepts any certificate: only for reading the agent CA, which is then checked against the pin.</summary>
    public static ManagementTrust Any() => new(null, null, true, false, null);

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
            if (_pinnedAuthority)
            {
                return ChainsTo(leaf, sent, _roots!, requireServerAuthentication: true, "the pinned agent CA of the management service");
            }

            if (_pin is not null)
            {
                foreach (X509Certificate2 certificate in sent)
                {
                    if (CertificatePins.Of(certificate) == _pin)
                    {
                        return true;
                    }
                }

                if (_fetchedAuthority is not null && CertificatePins.Of(_fetchedAuthority) == _pin)
                {
                    return ChainsTo(leaf, sent, [_fetchedAuthority], requireServerAuthentication: true, "the agent CA with the pin " + _pin);
                }

                string fetched = _fetchedAuthority is null ? string.Empty : $"; its agent CA has {CertificatePins.Of(_fetchedAuthority)}";
                LastProblem = $"no certificate of the presented chain has the pin {_pin} (it has {string.Join(", ", sent.ConvertAll(CertificatePins.Of))}{fetched})";
                return false;
            }

            if (_roots is not null)
            {
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    LastProblem = $"the certificate '{leaf.Subject}' does not name the host in the management URL";
                    return false;
                }

                return ChainsTo(leaf, sent, _roots, requireServerAuthentication: false, "the CA file");
            }

            if (_trustOnFirstUse)
            {
                _notice?.WriteLine($"Trusting the management service's certificate on first use: '{leaf.Subject}', valid until {leaf.NotAfter.ToUniversalTime():u}.");
                foreach (X509Certificate2 certificate in sent)
                {
                    _notice?.WriteLine($"  {CertificatePins.Of(certificate)}  {certificate.Subject}");
                }

                if (_fetchedAuthority is not null)
                {
                    _notice?.WriteLine($"  {CertificatePins.Of(_fetchedAuthority)}  {_fetchedAuthority.Subject} (the agent CA it serves)");
                }

                _notice?.WriteLine("Compare these pins with the one your administrator sees (GET /api/v1/agent-ca); from now on only that CA is trusted.");
                return true;
            }

            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            LastProblem = $"the certificate '{leaf.Subject}' is not trusted by this system ({errors}); give --ca-pin (shown with the enrolment token), --ca-file, or --trust-on-first-use";
            return false;
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

    private bool ChainsTo(X509Certificate2 leaf, List<X509Certificate2> sent, X509Certificate2Collection roots, bool requireServerAuthentication, string what)
    {
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(roots);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (X509Certificate2 certificate in sent)
        {
            own.ChainPolicy.ExtraStore.Add(certificate);
        }

        if (requireServerAuthentication)
        {
            own.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        }

        if (own.Build(leaf))
        {
            return true;
        }

        var statuses = new List<string>();
        foreach (X509ChainStatus status in own.ChainStatus)
        {
            statuses.Add(status.StatusInformation.Trim());
        }

        LastProblem = $"the certificate '{leaf.Subject}' does not chain to {what} ({string.Join("; ", statuses)})";
        return false;
    }

    /// <summary>The leaf and every other certificate the server sent (copies, disposed by the caller).</summary>
    private static List<X509Certificate2> Presented(X509Certificate2 leaf, X509Chain? chain)
    {
        var sent = new List<X509Certificate2> { leaf };
        if (chain is null)
        {
            return sent;
        }

        foreach (X509ChainElement element in chain.ChainElements)
        {
            AddCopy(sent, element.Certificate);
        }

        foreach (X509Certificate2 extra in chain.ChainPolicy.ExtraStore)
        {
            AddCopy(sent, extra);
        }

        return sent;
    }

    private static void AddCopy(List<X509Certificate2> sent, X509Certificate2 certificate)
    {
        foreach (X509Certificate2 known in sent)
        {
            if (known.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
            {
                return;
            }
        }

        sent.Add(X509CertificateLoader.LoadCertificate(certificate.RawData));
    }
}
