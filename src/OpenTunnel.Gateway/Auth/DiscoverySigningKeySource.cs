using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Signing keys from the issuer's OIDC discovery document (<c>jwks_uri</c>), cached by
/// <see cref="ConfigurationManager{T}"/> and fetched again every <see cref="AuthOptions.KeyRefreshInterval"/>,
/// or sooner when a token names an unknown key, at most once per <see cref="AuthOptions.KeyRefreshMinimumInterval"/>.
/// </summary>
internal sealed class DiscoverySigningKeySource : ISigningKeySource
{
    private readonly HttpClient _httpClient;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _configuration;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _minimumRefreshInterval;
    private readonly Lock _refreshLock = new();
    private long _lastRefreshTimestamp;
    private bool _refreshed;
    private OpenIdConnectConfiguration? _lastSeen;

    public DiscoverySigningKeySource(AuthOptions options, ILogger logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
        _minimumRefreshInterval = options.KeyRefreshMinimumInterval;
        Description = $"issuer metadata {options.EffectiveMetadataAddress}";
        _httpClient = new HttpClient { Timeout = options.MetadataTimeout };
        var documents = new HttpDocumentRetriever(_httpClient) { RequireHttps = options.RequireHttpsMetadata };
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            options.EffectiveMetadataAddress, new OpenIdConnectConfigurationRetriever(), documents)
        {
            AutomaticRefreshInterval = options.KeyRefreshInterval,
            RefreshInterval = options.KeyRefreshMinimumInterval,
        };
    }

    public string Description { get; }

    public async Task<ICollection<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await _configuration.GetConfigurationAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            string reason = TokenRefusalDetails.RootCause(e);
            AuthLog.SigningKeysUnavailable(_logger, Description, reason);
            throw new SigningKeysUnavailableException($"could not get the signing keys from {Description}: {reason}", e);
        }

        if (!ReferenceEquals(Interlocked.Exchange(ref _lastSeen, configuration), configuration))
        {
            AuthLog.SigningKeysLoaded(_logger, configuration.SigningKeys.Count, Description);
        }

        return configuration.SigningKeys;
    }

    public bool TryRequestRefresh()
    {
        lock (_refreshLock)
        {
            long now = _time.GetTimestamp();
            if (_refreshed && _time.GetElapsedTime(_lastRefreshTimestamp, now) < _minimumRefreshInterval)
            {
                return false;
            }

            _refreshed = true;
            _lastRefreshTimestamp = now;
        }

        // ConfigurationManager applies the same minimum interval (RefreshInterval) on its own clock;
        // the first request always passes there, and ours is never sooner than its.
        _configuration.RequestRefresh();
        return true;
    }

    public void Dispose() => _httpClient.Dispose();
}
