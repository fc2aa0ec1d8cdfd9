using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace OpenTunnel.Gateway.Auth;

/// <summary>
/// Signing keys from a local JWKS file (offline set-ups, the development issuer). The file is read
/// again when its modification time or size changes, or when a token names an unknown key; a changed
/// file that cannot be used does not replace keys read before.
/// </summary>
internal sealed class JwksFileSigningKeySource : ISigningKeySource
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private ICollection<SecurityKey>? _keys;
    private (DateTime Modified, long Length) _loadedStamp;

    public JwksFileSigningKeySource(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
        Description = $"JWKS file {path}";
    }

    public string Description { get; }

    public Task<ICollection<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        var info = new FileInfo(_path);
        (DateTime, long) stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        lock (_lock)
        {
            if (_keys is not null && stamp == _loadedStamp)
            {
                return Task.FromResult(_keys);
            }

            _loadedStamp = stamp;
            return Task.FromResult(Load());
        }
    }

    public Task<ICollection<SecurityKey>?> RefreshAsync(ICollection<SecurityKey> stale, string keyId, CancellationToken cancellationToken)
    {
        // Reading a local file costs nothing worth limiting, and a change within the file system's
        // timestamp resolution would otherwise go unseen.
        lock (_lock)
        {
            if (_keys is not null && !ReferenceEquals(_keys, stale))
            {
                return Task.FromResult<ICollection<SecurityKey>?>(_keys);
            }

            AuthLog.SigningKeysRefreshing(_logger, keyId, Description);
            return Task.FromResult<ICollection<SecurityKey>?>(Load());
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Reads the file; called with <see cref="_lock"/> held.</summary>
    private ICollection<SecurityKey> Load()
    {
        try
        {
            var keys = new List<SecurityKey>(new JsonWebKeySet(File.ReadAllText(_path)).GetSigningKeys());
            if (keys.Count == 0)
            {
                throw new InvalidOperationException("it holds no usable signing key");
            }

            _keys = keys;
            AuthLog.SigningKeysLoaded(_logger, keys.Count, Description);
            return keys;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            string reason = TokenRefusalDetails.RootCause(e);
            if (_keys is not null)
            {
                AuthLog.JwksFileRejected(_logger, _path, _keys.Count, reason);
                return _keys;
            }

            AuthLog.SigningKeysUnavailable(_logger, Description, reason);
            throw new SigningKeysUnavailableException($"could not get the signing keys from {Description}: {reason}", e);
        }
    }
}
