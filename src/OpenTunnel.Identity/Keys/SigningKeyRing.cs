using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OpenTunnel.Identity.Keys;

/// <summary>One RSA signing key of the provider, with the time it started signing.</summary>
public sealed record SigningKey(string KeyId, DateTimeOffset CreatedAt, RSA Rsa);

/// <summary>
/// The provider's token signing keys, generated at first start and kept in the key directory
/// (one JSON file per key, mode 0600; never in source), or, when the host shares its database
/// between replicas, in the <see cref="ISharedSecretStore"/> (encrypted; one generation number per
/// key, so two replicas that rotate at once store one key and both sign with it). The newest key signs;
/// after <c>Identity:SigningKeyRotationInterval</c> a new one is generated and takes over, and the
/// older ones stay published in the JWKS until every token they signed has expired
/// (<see cref="Settings.IdentityProviderOptions.RetiredKeyRetention"/>), then their files are deleted.
/// A key's retirement time is its successor's creation time, so files are never rewritten.
/// </summary>
public sealed partial class SigningKeyRing
{
    /// <summary>Name prefix of the keys in the shared store; the generation follows.</summary>
    public const string SharedPrefix = "identity/signing-key/";

    private const string Extension = ".signing-key.json";
    private readonly string _directory;
    private readonly TimeSpan _rotation;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ISharedSecretStore? _shared;
    private readonly Lock _lock = new();
    private IReadOnlyList<SigningKey> _keys = [];

    /// <summary>A ring over <paramref name="directory"/>, or over <paramref name="shared"/> when replicas share their keys.</summary>
    /// <param name="directory">The key folder (and, with a shared store, where key files to import are looked for).</param>
    /// <param name="rotation">How long the newest key signs before a successor takes over.</param>
    /// <param name="retention">How long a retired key stays published.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where key creation and removal are logged.</param>
    /// <param name="shared">Where the keys are kept when replicas share them; null keeps them in the key folder.</param>
    public SigningKeyRing(string directory, TimeSpan rotation, TimeSpan retention, TimeProvider time, ILogger<SigningKeyRing> logger, ISharedSecretStore? shared = null)
    {
        _shared = shared;
        _directory = directory;
        _rotation = rotation;
        _retention = retention;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether the keys are kept in the shared store (replicas) rather than the key directory.</summary>
    public bool IsShared => _shared is not null;

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
            return _shared is null ? RefreshFiles() : RefreshShared(_shared);
        }
    }

    private bool RefreshFiles()
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

    /// <summary>
    /// The same over the shared store. Keys are named by generation; the next key takes the
    /// newest generation plus one, and a replica that finds the name taken reads its rival's key.
    /// When the store has no key yet, the key files of this replica (a single service moving to
    /// replicas) are imported first, so tokens they signed stay valid.
    /// </summary>
    private bool RefreshShared(ISharedSecretStore shared)
    {
        DateTimeOffset now = _time.GetUtcNow();
        List<(long Generation, SigningKey Key)> keys = LoadShared(shared);
        if (keys.Count == 0 && Directory.Exists(_directory))
        {
            long generation = 0;
            foreach (SigningKey file in Load().OrderBy(k => k.CreatedAt))
            {
                shared.TryAdd(SharedName(++generation), JsonSerializer.Serialize(new StoredKey(file.KeyId, file.CreatedAt, file.Rsa.ExportPkcs8PrivateKeyPem())), file.CreatedAt);
                file.Rsa.Dispose();
            }

            keys = LoadShared(shared);
        }

        if (keys.Count == 0 || now - keys[0].Key.CreatedAt >= _rotation)
        {
            long next = keys.Count == 0 ? 1 : keys[0].Generation + 1;
            SigningKey created = NewKey(now, out string pem);
            if (shared.TryAdd(SharedName(next), JsonSerializer.Serialize(new StoredKey(created.KeyId, now, pem)), now))
            {
                LogKeyCreated(_logger, created.KeyId, keys.Count == 0 ? "no key existed" : $"key {keys[0].Key.KeyId} is older than the rotation interval");
            }

            created.Rsa.Dispose();
            foreach ((long _, SigningKey key) in keys)
            {
                key.Rsa.Dispose();
            }

            keys = LoadShared(shared);
        }

        for (int i = keys.Count - 1; i >= 1; i--)
        {
            if (now - keys[i - 1].Key.CreatedAt >= _retention)
            {
                shared.Delete(SharedName(keys[i].Generation));
                LogKeyRemoved(_logger, keys[i].Key.KeyId, keys[i - 1].Key.CreatedAt);
                keys[i].Key.Rsa.Dispose();
                keys.RemoveAt(i);
            }
        }

        List<SigningKey> loaded = keys.ConvertAll(k => k.Key);
        bool changed = !loaded.Select(k => k.KeyId).SequenceEqual(_keys.Select(k => k.KeyId));
        if (changed)
        {
            _keys = loaded;
        }
        else
        {
            loaded.ForEach(k => k.Rsa.Dispose());
        }

        return changed;
    }

    private static string SharedName(long generation) => SharedPrefix + generation.ToString("D12", CultureInfo.InvariantCulture);

    private static List<(long Generation, SigningKey Key)> LoadShared(ISharedSecretStore shared)
    {
        var keys = new List<(long, SigningKey)>();
        foreach (SharedSecretEntry entry in shared.List(SharedPrefix))
        {
            if (!long.TryParse(entry.Name.AsSpan(SharedPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long generation))
            {
                throw new InvalidDataException($"Shared secret {entry.Name} is not named {SharedPrefix}GENERATION; delete it from the database.");
            }

            keys.Add((generation, Parse(entry.Value, $"shared secret {entry.Name}")));
        }

        keys.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return keys;
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

    private static SigningKey Read(string path) => Parse(File.ReadAllText(path), $"file {path}");

    private static SigningKey Parse(string json, string source)
    {
        try
        {
            StoredKey stored = JsonSerializer.Deserialize<StoredKey>(json)
                ?? throw new InvalidDataException("it is empty");
            var rsa = RSA.Create();
            rsa.ImportFromPem(stored.PrivateKey);
            return new SigningKey(stored.KeyId, stored.CreatedAt, rsa);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException or CryptographicException)
        {
            throw new InvalidDataException($"Signing key {source} cannot be read ({e.Message}); restore it from a backup or delete it, which invalidates the tokens it signed.", e);
        }
    }

    private SigningKey Create(DateTimeOffset now)
    {
        SigningKey key = NewKey(now, out string pem);
        KeyDirectory.WriteSecret(PathOf(key.KeyId), JsonSerializer.Serialize(new StoredKey(key.KeyId, now, pem)));
        return key;
    }

    private static SigningKey NewKey(DateTimeOffset now, out string privateKeyPem)
    {
        var rsa = RSA.Create(2048);
        string keyId = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        privateKeyPem = rsa.ExportPkcs8PrivateKeyPem();
        return new SigningKey(keyId, now, rsa);
    }

    private string PathOf(string keyId) => Path.Combine(_directory, keyId + Extension);

    private sealed record StoredKey(string KeyId, DateTimeOffset CreatedAt, string PrivateKey);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Created token signing key {KeyId}: {Reason}.")]
    private static partial void LogKeyCreated(ILogger logger, string keyId, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Removed signing key {KeyId}: it stopped signing at {RetiredAt:u} and every token it signed has expired.")]
    private static partial void LogKeyRemoved(ILogger logger, string keyId, DateTimeOffset retiredAt);
}
