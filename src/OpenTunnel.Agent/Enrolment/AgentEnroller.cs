using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Enrolment;

/// <summary>
/// Enrols this server: makes an ECDSA P-256 key, sends a PKCS#10 request for it with the site's
/// one-time token, checks what comes back (the certificate is for this key and chains to the CA
/// that came with it) and stores key, certificate and CA, readable only by root.
/// </summary>
public sealed class AgentEnroller(AgentOptions options, TextWriter notice)
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
        string token = options.Token ?? throw new InvalidOperationException("Enrolment needs the site's one-time token: --token ote_... (or OPENTUNNEL_AGENT_TOKEN).");
        X509Certificate2Collection? authorities = null;
        if (options.CaFile is { } caFile)
        {
            authorities = [];
            authorities.ImportFromPemFile(caFile);
        }

        using X509Certificate2? fetched = authorities is null && (options.CaPin is not null || options.TrustOnFirstUse)
            ? await FetchAuthorityAsync(new Uri(management), cancellationToken)
            : null;
        ManagementTrust trust = ManagementTrust.ForEnrolment(options.CaPin, fetched, authorities, options.TrustOnFirstUse, notice);
        string name = options.ServerName ?? Dns.GetHostName();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string request = IssuedCertificate.Request(key, name);

        EnrolmentResponse response;
        using (HttpClient client = ManagementHttp.CreateClient(new Uri(management), trust, null))
        {
            response = await ManagementHttp.SendAsync<EnrolmentResponse>(
                    client, HttpMethod.Post, AgentRoutes.Enrolment, new EnrolmentRequest(token, name, request, AgentVersion.Current), trust, Timeout, cancellationToken)
                ?? throw new ManagementLinkException(ManagementFailure.Rejected, "The enrolment answer was empty.");
        }

        Check(response, key);
        var registration = new AgentRegistration(response.Id, response.Name, response.SiteId, response.SiteName, response.AgentEndpoint, management, DateTime.UtcNow);
        store.Save(registration, response.Certificate, key, response.CaCertificate);
        return store.Load();
    }

    /// <summary>
    /// The agent CA the service serves, read over TLS that is not checked: what is read is only
    /// believed when its pin matches the one the administrator gave. Null when the service has none
    /// to give (the URL is not the agent endpoint's, or an older service).
    /// </summary>
    private static async Task<X509Certificate2?> FetchAuthorityAsync(Uri management, CancellationToken cancellationToken)
    {
        ManagementTrust any = ManagementTrust.Any();
        using HttpClient client = ManagementHttp.CreateClient(management, any, null);
        try
        {
            using HttpResponseMessage response = await client.GetAsync(AgentRoutes.Authority, cancellationToken);
            return response.IsSuccessStatusCode ? X509Certificate2.CreateFromPem(await response.Content.ReadAsStringAsync(cancellationToken)) : null;
        }
        catch (Exception e) when (e is HttpRequestException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The certificate must be for our key and chain to the CA sent with it, and the CA must have the pin sent with it.</summary>
    internal static void Check(EnrolmentResponse response, ECDsa key)
    {
        if (string.IsNullOrEmpty(response.AgentEndpoint))
        {
            throw new InvalidOperationException("The server was enrolled, but the management service's agent endpoint is off (Management:Agents:Listen): ask the administrator to turn it on, delete the server and enrol again.");
        }

        using X509Certificate2 authority = X509Certificate2.CreateFromPem(response.CaCertificate);
        if (CertificatePins.Of(authority) != response.CaPin)
        {
            throw new InvalidOperationException($"The CA returned ({CertificatePins.Of(authority)}) does not match the pin returned with it ({response.CaPin}); enrolment is not stored.");
        }

        IssuedCertificate.Verify(response.Certificate, key, authority);
    }
}
