using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Signing keys from the issuer's OIDC discovery document and its <c>jwks_uri</c>, fetched and
/// parsed by <see cref="OpenIdConnectConfigurationRetriever"/> and cached here: fetched again every
/// <see cref="AuthOptions.KeyRefreshInterval"/>, or at once when a token names an unknown key, at
/// most once per <see cref="AuthOptions.KeyRefreshMinimumInterval"/>.
/// <para>
/// The cache is ours, not <see cref="ConfigurationManager{T}"/>'s: since IdentityModel 8.x its
/// <c>RequestRefresh</c> fetches on a background task (unless a process-wide AppContext switch is
/// set), so the sign-in that revealed a key rotation would be refused although the issuer already
/// publishes the new key. Here that sign-in waits for the one fetch and succeeds.
/// </para>
/// </summary>
internal sealed class DiscoverySigningKeySource : ISigningKeySource
{
    private readonly string _metadataAddress;
    private readonly HttpClient _httpClient;
    private readonly HttpDocumentRetriever _documents;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _automaticRefreshInterval;
    private readonly TimeSpan _minimumRefreshInterval;
    private readonly TimeSpan _retryDelay;
    private readonly SemaphoreSlim _fetchLock = new(1, 1);
    private readonly Lock _refreshLock = new();
    private volatile Snapshot? _current;
    private (string Reason, Exception Exception, DateTimeOffset RetryAt)? _failure;
    private volatile bool _refreshRequested;
    private DateTimeOffset? _lastRequestedRefresh;

    public DiscoverySigningKeySource(AuthOptions options, ILogger logger, TimeProvider time)
    {
        _metadataAddress = options.EffectiveMetadataAddress;
        _logger = logger;
        _time = time;
        _automaticRefreshInterval = options.KeyRefreshInterval;
        _minimumRefreshInterval = options.KeyRefreshMinimumInterval;
        _retryDelay = options.KeyFetchRetryDelay;
        Description = $"issuer metadata {_metadataAddress}";
        _httpClient = new HttpClient { Timeout = options.MetadataTimeout };
        _documents = new HttpDocumentRetriever(_httpClient) { RequireHttps = options.RequireHttpsMetadata };
    }

    public string Description { get; }

    public async Task<ICollection<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        if (Fresh(_current) is { } keys)
        {
            return keys;
        }

        await _fetchLock.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have fetched while this one waited: one fetch serves them all.
            Snapshot? current = _current;
            if (Fresh(current) is { } fetched)
            {
                return fetched;
            }

            DateTimeOffset now = _time.GetUtcNow();
            if (current is null && _failure is { } failure && now < failure.RetryAt)
            {
                throw Unavailable(failure.Reason, failure.Exception);
            }

            _refreshRequested = false;
            try
            {
                OpenIdConnectConfiguration configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_metadataAddress, _documents, cancellationToken);
                _current = new Snapshot(configuration.SigningKeys, now + _automaticRefreshInterval);
                _failure = null;
                AuthLog.SigningKeysLoaded(_logger, configuration.SigningKeys.Count, Description);
                return configuration.SigningKeys;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                string reason = TokenRefusalDetails.RootCause(e);
                AuthLog.SigningKeysUnavailable(_logger, Description, reason);
                if (current is not null)
                {
                    // Keep serving with the keys fetched before: an issuer outage must not end sign-ins.
                    _current = current with { RefreshAt = now + _retryDelay };
                    return current.Keys;
                }

                _failure = (reason, e, now + _retryDelay);
                throw Unavailable(reason, e);
            }
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public bool TryRequestRefresh()
    {
        lock (_refreshLock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_lastRequestedRefresh is { } last && now - last < _minimumRefreshInterval)
            {
                return false;
            }

            _lastRequestedRefresh = now;
            _refreshRequested = true;
            return true;
        }
    }

    public void Dispose()
    {
        _httpClient.Dispose();
        _fetchLock.Dispose();
    }

    private ICollection<SecurityKey>? Fresh(Snapshot? snapshot) =>
        snapshot is not null && !_refreshRequested && _time.GetUtcNow() < snapshot.RefreshAt ? snapshot.Keys : null;

    private SigningKeysUnavailableException Unavailable(string reason, Exception exception) =>
        new($"could not get the signing keys from {Description}: {reason}", exception);

    private sealed record Snapshot(ICollection<SecurityKey> Keys, DateTimeOffset RefreshAt);
}
