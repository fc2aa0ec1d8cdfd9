using System.Security.Cryptography;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Identity.Keys;

/// <summary>
/// The folder of the provider's keys: created (or tightened to) mode 0700, files written mode 0600
/// through a temporary file and a rename (<see cref="OwnerOnlyFiles"/>), so a crash never leaves half a key.
/// </summary>
public static class KeyDirectory
{
    /// <summary>Name of the token encryption key in the shared store.</summary>
    public const string SharedEncryptionKeyName = "identity/token-encryption-key";

    private const string EncryptionKeyFile = "token-encryption-key";

    public static void Ensure(string directory) => OwnerOnlyFiles.CreateDirectory(directory);

    public static void WriteSecret(string path, string content) => OwnerOnlyFiles.WriteAtomically(path, content);

    /// <summary>
    /// The 256-bit key that encrypts authorization codes, device codes and refresh tokens (they
    /// are opaque to clients); created at first start. Losing it invalidates those, not access tokens.
    /// </summary>
    public static byte[] LoadOrCreateEncryptionKey(string directory)
    {
        Ensure(directory);
        string path = Path.Combine(directory, EncryptionKeyFile);
        if (!File.Exists(path))
        {
            WriteSecret(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return Decode(File.ReadAllText(path), path);
    }

    /// <summary>
    /// The same key in the shared store of replicas: the first replica stores it (the key file of
    /// its key directory when it has one, so a single service moving to replicas keeps its
    /// refresh tokens valid), the others read it.
    /// </summary>
    public static byte[] LoadOrCreateEncryptionKey(string directory, ISharedSecretStore shared, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shared);
        string path = Path.Combine(directory, EncryptionKeyFile);
        string value = shared.GetOrAdd(
            SharedEncryptionKeyName,
            () => File.Exists(path) ? File.ReadAllText(path).Trim() : Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            now);
        return Decode(value, "shared secret " + SharedEncryptionKeyName);
    }

    private static byte[] Decode(string base64, string source)
    {
        try
        {
            byte[] key = Convert.FromBase64String(base64.Trim());
            return key.Length == 32 ? key : throw new FormatException($"it holds {key.Length} bytes, not 32");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"Token encryption key {source} is not 32 base64 bytes ({e.Message}); delete it to create a new one, which ends every refresh token.", e);
        }
    }
}
