using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Identity.Keys;

/// <summary>One RSA signing key of the provider, with the time it started signing.</summary>
public sealed record SigningKey(string KeyId, DateTimeOffset CreatedAt, RSA Rsa);

/// <summary>
/// The provider's token signing keys, generated at first start and kept in the key directory
/// (one JSON file per key, mode 0600; never in source or the database). The newest key signs;
/// after <c>Identity:SigningKeyRotationInterval</c> a new one is generated and takes over, and the
/// older ones stay published in the JWKS until every token they signed has expired
/// (<see cref="Settings.IdentityProviderOptions.RetiredKeyRetention"/>), then their files are deleted.
/// A key's retirement time is its successor's creation time, so files are never rewritten.
/// </summary>
public sealed partial class SigningKeyRing
{
    private const string Extension = ".signing-key.json";
    private readonly string _directory;
    private readonly TimeSpan _rotation;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private IReadOnlyList<SigningKey> _keys = [];

    public SigningKeyRing(string directory, TimeSpan rotation, TimeSpan retention, TimeProvider time, ILogger<SigningKeyRing> logger)
    {
        _directory = directory;
        _rotation = rotation;
        _retention = retention;
        _time = time;
        _logger = logger;
    }

    /// <summary>The published keys, newest (the one that signs) first.</summary>
    public IReadOnlyList<SigningKey> Keys => _keys;

    /// <summary>
    /// Loads the keys, creates the first one or a successor when the newest is older than the
    /// rotation interval, and deletes keys retired longer than the retention. True when the set of
    /// keys changed, so the server's options must be rebuilt.
    /// </summary>
    public bool Refresh()
    {
        lock (_lock)
        {
            KeyDirectory.Ensure(_directory);
            DateTimeOffset now = _time.GetUtcNow();
            List<SigningKey> keys = Load();
            bool changed = keys.Count != _keys.Count;
            if (keys.Count == 0 || now - keys[0].CreatedAt >= _rotation)
            {
                SigningKey created = Create(now);
                LogKeyCreated(_logger, created.KeyId, keys.Count == 0 ? "no key existed" : $"key {keys[0].KeyId} is older than the rotation interval");
                keys.Insert(0, created);
                changed = true;
            }

            // keys[i] stopped signing when keys[i - 1] was created.
            for (int i = keys.Count - 1; i >= 1; i--)
            {
                if (now - keys[i - 1].CreatedAt >= _retention)
                {
                    File.Delete(PathOf(keys[i].KeyId));
                    LogKeyRemoved(_logger, keys[i].KeyId, keys[i - 1].CreatedAt);
                    keys[i].Rsa.Dispose();
                    keys.RemoveAt(i);
                    changed = true;
                }
            }

            _keys = keys;
            return changed;
        }
    }

    private List<SigningKey> Load()
    {
        var keys = new List<SigningKey>();
        foreach (string path in Directory.GetFiles(_directory, "*" + Extension))
        {
            keys.Add(Read(path));
        }

        keys.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        return keys;
    }

    private static SigningKey Read(string path)
    {
        try
        {
            StoredKey stored = JsonSerializer.Deserialize<StoredKey>(File.ReadAllText(path))
                ?? throw new InvalidDataException("the file is empty");
            var rsa = RSA.Create();
            rsa.ImportFromPem(stored.PrivateKey);
            return new SigningKey(stored.KeyId, stored.CreatedAt, rsa);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException or CryptographicException)
        {
            throw new InvalidDataException($"Signing key file {path} cannot be read ({e.Message}); restore it from a backup or delete it, which invalidates the tokens it signed.", e);
        }
    }

    private SigningKey Create(DateTimeOffset now)
    {
        var rsa = RSA.Create(2048);
        string keyId = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var stored = new StoredKey(keyId, now, rsa.ExportPkcs8PrivateKeyPem());
        KeyDirectory.WriteSecret(PathOf(keyId), JsonSerializer.Serialize(stored));
        return new SigningKey(keyId, now, rsa);
    }

    private string PathOf(string keyId) => Path.Combine(_directory, keyId + Extension);

    private sealed record StoredKey(string KeyId, DateTimeOffset CreatedAt, string PrivateKey);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Created token signing key {KeyId}: {Reason}.")]
    private static partial void LogKeyCreated(ILogger logger, string keyId, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Removed signing key {KeyId}: it stopped signing at {RetiredAt:u} and every token it signed has expired.")]
    private static partial void LogKeyRemoved(ILogger logger, string keyId, DateTimeOffset retiredAt);
}
