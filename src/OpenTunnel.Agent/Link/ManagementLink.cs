using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;

namespace OpenTunnel.Agent.Link;

/// <summary>
/// The agent's calls to the management service's agent endpoint, over mutual TLS with the
/// agent's certificate, trusting only a certificate the pinned agent CA issued for server
/// authentication that names the endpoint's host (<see cref="ManagementTrust.PinnedAuthority"/>). After a renewal
/// <see cref="UseCertificate"/> switches to the new certificate for the next calls.
/// </summary>
public sealed class ManagementLink : ICertificateSigner, IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Uri _endpoint;
    private readonly ManagementTrust _trust;
    private readonly Lock _gate = new();
    private HttpClient _client;
    private HttpClient? _retired;

    public ManagementLink(AgentIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _endpoint = new Uri(identity.Registration.AgentEndpoint.TrimEnd('/') + "/");
        _trust = ManagementTrust.PinnedAuthority(identity.Authority, _endpoint);
        _client = ManagementHttp.CreateClient(_endpoint, _trust, identity.Certificate);
    }

    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Presents <paramref name="certificate"/> from the next call on. The client before stays
    /// open for the calls under way (a poll may be waiting on it) and is closed at the next switch.
    /// </summary>
    public void UseCertificate(X509Certificate2 certificate)
    {
        lock (_gate)
        {
            _retired?.Dispose();
            _retired = _client;
            _client = ManagementHttp.CreateClient(_endpoint, _trust, certificate);
        }
    }

    /// <summary>The next change for this server, or null when none came within <paramref name="waitSeconds"/>.</summary>
    public Task<AgentPoll?> PollAsync(string? etag, bool draining, int waitSeconds, CancellationToken cancellationToken)
    {
        string query = string.Create(CultureInfo.InvariantCulture, $"?etag={Uri.EscapeDataString(etag ?? string.Empty)}&draining={(draining ? "true" : "false")}&wait={waitSeconds}");
        return SendAsync<AgentPoll>(HttpMethod.Get, AgentRoutes.Poll + query, null, CallTimeout + TimeSpan.FromSeconds(waitSeconds), cancellationToken);
    }

    public Task ReportAsync(ConfigurationReport report, CancellationToken cancellationToken) =>
        SendAsync<object>(HttpMethod.Post, AgentRoutes.ConfigurationReport, report, CallTimeout, cancellationToken);

    public async Task<TelemetryAcknowledgement> SendTelemetryAsync(TelemetryBatch batch, CancellationToken cancellationToken) =>
        await SendAsync<TelemetryAcknowledgement>(HttpMethod.Post, AgentRoutes.Telemetry, batch, CallTimeout, cancellationToken)
        ?? throw new ManagementLinkException(ManagementFailure.Unreachable, "The telemetry answer was empty.");

    public async Task<AccessRecordAcknowledgement> SendAccessRecordsAsync(AccessRecordBatch batch, CancellationToken cancellationToken) =>
        await SendAsync<AccessRecordAcknowledgement>(HttpMethod.Post, AgentRoutes.AccessLog, batch, CallTimeout, cancellationToken)
        ?? throw new ManagementLinkException(ManagementFailure.Unreachable, "The access-log answer was empty.");

    /// <summary>The sessions the gateway holds now; the service keeps the newest snapshot of each server.</summary>
    public Task SendSessionsAsync(SessionSnapshot snapshot, CancellationToken cancellationToken) =>
        SendAsync<object>(HttpMethod.Post, AgentRoutes.Sessions, snapshot, CallTimeout, cancellationToken);

    public async Task<CertificateRenewalResponse> RenewAsync(string certificateRequestPem, CancellationToken cancellationToken) =>
        await SendAsync<CertificateRenewalResponse>(HttpMethod.Post, AgentRoutes.Certificate, new CertificateRenewalRequest(certificateRequestPem), CallTimeout, cancellationToken)
        ?? throw new ManagementLinkException(ManagementFailure.Unreachable, "The renewal answer was empty.");

    public Task CompleteCommandAsync(Guid id, CommandResult result, CancellationToken cancellationToken) =>
        SendAsync<object>(HttpMethod.Post, AgentRoutes.CommandResult(id), result, CallTimeout, cancellationToken);

    public void Dispose()
    {
        lock (_gate)
        {
            _client.Dispose();
            _retired?.Dispose();
        }
    }

    private Task<T?> SendAsync<T>(HttpMethod method, string path, object? body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        HttpClient client;
        lock (_gate)
        {
            client = _client;
        }

        // The routes are absolute ("/agent/v1/..."); the endpoint URL has no path of its own.
        return ManagementHttp.SendAsync<T>(client, method, path, body, _trust, timeout, cancellationToken);
    }
}
