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
    private bool _reloadRequested;

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
            if (_keys is not null && stamp == _loadedStamp && !_reloadRequested)
            {
                return Task.FromResult(_keys);
            }

            _reloadRequested = false;
            _loadedStamp = stamp;
            try
            {
                _keys = Read();
                AuthLog.SigningKeysLoaded(_logger, _keys.Count, Description);
                return Task.FromResult(_keys);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                string reason = TokenRefusalDetails.RootCause(e);
                if (_keys is not null)
                {
                    AuthLog.JwksFileRejected(_logger, _path, _keys.Count, reason);
                    return Task.FromResult(_keys);
                }

                AuthLog.SigningKeysUnavailable(_logger, Description, reason);
                throw new SigningKeysUnavailableException($"could not get the signing keys from {Description}: {reason}", e);
            }
        }
    }

    public bool TryRequestRefresh()
    {
        // Reading a local file costs nothing worth limiting.
        lock (_lock)
        {
            _reloadRequested = true;
        }

        return true;
    }

    public void Dispose()
    {
    }

    private List<SecurityKey> Read()
    {
        var set = new JsonWebKeySet(File.ReadAllText(_path));
        var keys = new List<SecurityKey>(set.GetSigningKeys());
        if (keys.Count == 0)
        {
            throw new InvalidOperationException("it holds no usable signing key");
        }

        return keys;
    }
}
