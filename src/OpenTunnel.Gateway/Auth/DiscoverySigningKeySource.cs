using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OpenTunnel.Trust;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Signing keys from the issuer's OIDC discovery document and its <c>jwks_uri</c>, fetched and
/// parsed by <see cref="OpenIdConnectConfigurationRetriever"/> and cached here: fetched again every
/// <see cref="AuthOptions.KeyRefreshInterval"/>, or at once when a token names an unknown key, at
/// most once per <see cref="AuthOptions.KeyRefreshMinimumInterval"/>. One fetch at a time; callers
/// that arrive during a fetch wait for its result.
/// <para>
/// The cache is ours, not <see cref="ConfigurationManager{T}"/>'s: since IdentityModel 8.x its
/// <c>RequestRefresh</c> fetches on a background task (unless a process-wide AppContext switch is
/// set), so the sign-in that revealed a key rotation would be refused although the issuer already
/// publishes the new key. Here that sign-in waits for the one fetch and succeeds.
/// </para>
/// <para>
/// With a <see cref="SigningKeyCacheFile"/>, every fetch saves what it got, and when a fetch fails
/// with no keys in memory (a gateway started during an outage of the issuer) the saved keys serve
/// until a fetch succeeds; they are tried again every <see cref="AuthOptions.KeyFetchRetryDelay"/>.
/// </para>
/// </summary>
internal sealed class DiscoverySigningKeySource : ISigningKeySource
{
    private readonly string _metadataAddress;
    private readonly HttpClient _httpClient;
    private readonly DeploymentTrust? _trust;
    private readonly HttpDocumentRetriever _documents;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _automaticRefreshInterval;
    private readonly TimeSpan _minimumRefreshInterval;
    private readonly TimeSpan _retryDelay;
    private readonly TimeSpan _cachedKeysMaximumAge;
    private readonly SigningKeyCacheFile? _cacheFile;
    private readonly SemaphoreSlim _fetchLock = new(1, 1);

    // Written under _fetchLock; _current is also read without it on the fast path.
    private volatile Snapshot? _current;
    private (string Reason, Exception Exception, DateTimeOffset RetryAt)? _failure;
    private DateTimeOffset? _lastUnknownKeyRefresh;

    public DiscoverySigningKeySource(AuthOptions options, ILogger logger, TimeProvider time, SigningKeyCacheFile? cacheFile = null)
    {
        _cacheFile = cacheFile;
        _cachedKeysMaximumAge = options.CachedKeysMaximumAge;
        _metadataAddress = options.EffectiveMetadataAddress;
        _logger = logger;
        _time = time;
        _automaticRefreshInterval = options.KeyRefreshInterval;
        _minimumRefreshInterval = options.KeyRefreshMinimumInterval;
        _retryDelay = options.KeyFetchRetryDelay;
        Description = $"issuer metadata {_metadataAddress}";
        _trust = options.Trust();
        _httpClient = _trust is null ? new HttpClient { Timeout = options.MetadataTimeout } : new HttpClient(_trust.CreateHandler()) { Timeout = options.MetadataTimeout };
        if (_trust is not null)
        {
            Description += options.CaPin is null ? $" (CA file {options.CaFile})" : $" (CA pin {options.CaPin})";
        }

        _documents = new HttpDocumentRetriever(_httpClient) { RequireHttps = options.RequireHttpsMetadata };
    }

    public string Description { get; }

    public async Task<ICollection<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        if (_current is { } snapshot && _time.GetUtcNow() < snapshot.RefreshAt)
        {
            return snapshot.Keys;
        }

        await _fetchLock.WaitAsync(cancellationToken);
        try
        {
            Snapshot? current = _current;
            DateTimeOffset now = _time.GetUtcNow();
            if (current is not null && now < current.RefreshAt)
            {
                return current.Keys;
            }

            if (current is null && _failure is { } failure && now < failure.RetryAt)
            {
                throw Unavailable(failure.Reason, failure.Exception);
            }

            return await FetchAsync(current, now, cancellationToken);
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public async Task<ICollection<SecurityKey>?> RefreshAsync(ICollection<SecurityKey> stale, string keyId, CancellationToken cancellationToken)
    {
        await _fetchLock.WaitAsync(cancellationToken);
        try
        {
            Snapshot? current = _current;
            if (current is not null && !ReferenceEquals(current.Keys, stale))
            {
                return current.Keys;
            }

            DateTimeOffset now = _time.GetUtcNow();
            if (_lastUnknownKeyRefresh is { } last && now - last < _minimumRefreshInterval)
            {
                AuthLog.SigningKeysRefreshSuppressed(_logger, keyId, Description, _minimumRefreshInterval);
                return null;
            }

            _lastUnknownKeyRefresh = now;
            AuthLog.SigningKeysRefreshing(_logger, keyId, Description);
            return await FetchAsync(current, now, cancellationToken);
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public void Dispose()
    {
        _httpClient.Dispose();
        _fetchLock.Dispose();
    }

    /// <summary>Fetches metadata and keys; called with <see cref="_fetchLock"/> held.</summary>
    private async Task<ICollection<SecurityKey>> FetchAsync(Snapshot? current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var documents = new RecordingDocumentRetriever(_documents);
        try
        {
            OpenIdConnectConfiguration configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_metadataAddress, documents, cancellationToken);
            _current = new Snapshot(configuration.SigningKeys, now + _automaticRefreshInterval);
            _failure = null;
            AuthLog.SigningKeysLoaded(_logger, configuration.SigningKeys.Count, Description);
            if (_cacheFile is not null && documents.Metadata is { } metadata && documents.Keys is { } keys)
            {
                _cacheFile.Save(_metadataAddress, metadata, keys, now);
            }

            return configuration.SigningKeys;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            string reason = _trust?.LastProblem is { } refused ? $"the issuer's HTTPS certificate is not trusted: {refused}" : TokenRefusalDetails.RootCause(e);
            AuthLog.SigningKeysUnavailable(_logger, Description, reason);
            if (current is not null)
            {
                // Keep serving with the keys fetched before: an issuer outage must not end sign-ins.
                _current = current with { RefreshAt = now + _retryDelay };
                return current.Keys;
            }

            string? problem = null;
            if (_cacheFile is not null && _cacheFile.Load(_metadataAddress, now, _cachedKeysMaximumAge, out problem) is { } saved)
            {
                AuthLog.SigningKeysFromSavedFile(_logger, saved.Keys.Count, _cacheFile.Path, TokenRefusalDetails.Span(now - saved.FetchedAt), saved.FetchedAt, Description, _retryDelay);
                _current = new Snapshot(saved.Keys, now + _retryDelay);
                return saved.Keys;
            }

            if (problem is not null)
            {
                reason += "; " + problem;
            }

            _failure = (reason, e, now + _retryDelay);
            throw Unavailable(reason, e);
        }
    }

    private SigningKeysUnavailableException Unavailable(string reason, Exception exception) =>
        new($"could not get the signing keys from {Description}: {reason}", exception);

    private sealed record Snapshot(ICollection<SecurityKey> Keys, DateTimeOffset RefreshAt);

    /// <summary>Keeps the text of the documents one fetch got: the first is the discovery document, the second the JWKS.</summary>
    private sealed class RecordingDocumentRetriever(IDocumentRetriever inner) : IDocumentRetriever
    {
        public string? Metadata { get; private set; }

        public string? Keys { get; private set; }

        public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
        {
            string document = await inner.GetDocumentAsync(address, cancel);
            if (Metadata is null)
            {
                Metadata = document;
            }
            else
            {
                Keys = document;
            }

            return document;
        }
    }
}
