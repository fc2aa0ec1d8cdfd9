using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Enrolment;

/// <summary>
/// Enrols this server: makes an ECDSA P-256 key, sends a PKCS#10 request for it with the site's
/// one-time <paramref name="token"/> (read by <see cref="EnrolmentTokenSource"/>, never from the
/// command line), checks what comes back and stores key, certificate and CA, readable only by
/// root. With a pin, the token is only sent to a server whose certificate chains to the CA with
/// that pin, and only that very CA is stored.
/// </summary>
public sealed class AgentEnroller(AgentOptions options, string? token, TextWriter notice)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<AgentIdentity> EnrolAsync(CancellationToken cancellationToken)
    {
        var store = new AgentIdentityStore(options.DataDirectory);
        if (store.IsEnrolled)
        {
            using AgentIdentity existing = store.Load();
            throw new InvalidOperationException(
                $"This agent is already enrolled as {existing.Registration.ServerName} ({existing.Registration.ServerId}) in site {existing.Registration.SiteName}. To enrol again, move {options.DataDirectory} away first.");
        }

        string management = options.ManagementUrl ?? throw new InvalidOperationException("Enrolment needs the management service's URL: --management https://HOST:PORT (or OPENTUNNEL_AGENT_MANAGEMENTURL).");
        string secret = token ?? throw new InvalidOperationException(EnrolmentTokenSource.Missing);
        X509Certificate2Collection? authorities = null;
        if (options.CaFile is { } caFile)
        {
            authorities = [];
            authorities.ImportFromPemFile(caFile);
        }

        using X509Certificate2? fetched = authorities is null && (options.CaPin is not null || options.TrustOnFirstUse)
            ? await FetchAuthorityAsync(new Uri(management), cancellationToken)
            : null;
        ManagementTrust trust = ManagementTrust.ForEnrolment(new Uri(management), options.CaPin, fetched, authorities, options.TrustOnFirstUse, notice);
        string name = options.ServerName ?? Dns.GetHostName();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string request = IssuedCertificate.Request(key, name);

        EnrolmentResponse response;
        using (HttpClient client = ManagementHttp.CreateClient(new Uri(management), trust, null))
        {
            response = await ManagementHttp.SendAsync<EnrolmentResponse>(
                    client, HttpMethod.Post, AgentRoutes.Enrolment, new EnrolmentRequest(secret, name, request, AgentVersion.Current), trust, Timeout, cancellationToken)
                ?? throw new ManagementLinkException(ManagementFailure.Rejected, "The enrolment answer was empty.");
        }

        Check(response, key, options.CaPin, trust);
        var registration = new AgentRegistration(response.Id, response.Name, response.SiteId, response.SiteName, response.AgentEndpoint.TrimEnd('/'), management, DateTime.UtcNow);
        store.Save(registration, response.Certificate, key, response.CaCertificate);
        AgentIdentity identity = store.Load();
        notice.WriteLine($"Stored the management service's agent CA {CertificatePins.Of(identity.Authority)} ('{identity.Authority.Subject}'); from now on only certificates it issues for {registration.AgentEndpoint} are trusted.");
        return identity;
    }

    /// <summary>
    /// The agent CA the service serves, read over TLS that is not checked: what is read is only
    /// believed when its pin matches the one the administrator gave, and then only as the root the
    /// service's certificate must chain to. The agent endpoint serves it at its agent route, the
    /// HTTPS API port (the same CA, docs/management.md#https) at <see cref="DeploymentTrust.AuthorityPath"/>.
    /// Null when the service has none to give (an older service).
    /// </summary>
    private static async Task<X509Certificate2?> FetchAuthorityAsync(Uri management, CancellationToken cancellationToken)
    {
        ManagementTrust any = ManagementTrust.Any();
        using HttpClient client = ManagementHttp.CreateClient(management, any, null);

        // Whoever answers here is not checked yet: a CA certificate is a few hundred bytes.
        client.MaxResponseContentBufferSize = 64 * 1024;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(Timeout);
            foreach (string path in new[] { AgentRoutes.Authority, DeploymentTrust.AuthorityPath })
            {
                using HttpResponseMessage response = await client.GetAsync(path, limit.Token);
                if (response.IsSuccessStatusCode)
                {
                    return X509Certificate2.CreateFromPem(await response.Content.ReadAsStringAsync(limit.Token));
                }
            }

            return null;
        }
        catch (Exception e) when (e is HttpRequestException or CryptographicException or ArgumentException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>
    /// What the answer must be before anything is stored: the agent endpoint an https URL of a
    /// host; the CA a CA certificate with the pin sent with it and, when the administrator gave a
    /// pin, exactly the certificate with that pin that the service's TLS certificate was checked
    /// against (<paramref name="trust"/>); the certificate for our key, issued by that CA to the
    /// server id of the answer for client authentication.
    /// </summary>
    internal static void Check(EnrolmentResponse response, ECDsa key, string? pin, ManagementTrust? trust)
    {
        ArgumentNullException.ThrowIfNull(response);
        const string Recorded = "The management service recorded the server, but the agent stores nothing: ";
        if (string.IsNullOrEmpty(response.AgentEndpoint))
        {
            throw new InvalidOperationException("The server was enrolled, but the management service's agent endpoint is off (Management:Agents:Listen): ask the administrator to turn it on, delete the server and enrol again.");
        }

        if (!IsEndpointUrl(response.AgentEndpoint))
        {
            throw new InvalidOperationException($"{Recorded}the agent endpoint it names, '{response.AgentEndpoint}', is not an https URL of a host and port.");
        }

        using (X509Certificate2 authority = IssuedCertificate.FromPem(response.CaCertificate, why => $"{Recorded}its CA certificate cannot be read ({why})."))
        {
            string authorityPin = CertificatePins.Of(authority);
            if (authorityPin != response.CaPin)
            {
                throw new InvalidOperationException($"The CA returned ({authorityPin}) does not match the pin returned with it ({response.CaPin}); enrolment is not stored.");
            }

            if (pin is not null && authorityPin != pin)
            {
                throw new InvalidOperationException($"{Recorded}the answer names the CA {authorityPin} ('{authority.Subject}'), not the pinned {pin}.");
            }

            if (pin is not null && trust is not null && !trust.Anchored(authority))
            {
                throw new InvalidOperationException($"{Recorded}the CA in the answer has the pin {pin} but is not the certificate the service's TLS certificate was checked against.");
            }

            if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                throw new InvalidOperationException($"{Recorded}the CA it names, '{authority.Subject}', is not a CA certificate.");
            }

            IssuedCertificate.Verify(response.Certificate, key, authority, response.Id);
        }
    }

    private static bool IsEndpointUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out Uri? uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.IsNullOrEmpty(uri.Query)
        && string.IsNullOrEmpty(uri.Fragment)
        && uri.AbsolutePath == "/"
        && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;
}
