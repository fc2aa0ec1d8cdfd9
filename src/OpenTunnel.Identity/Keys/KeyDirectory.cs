using System.Security.Cryptography;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Identity.Keys;

/// <summary>
/// The folder of the provider's keys: created (or tightened to) mode 0700, files written mode 0600
/// through a temporary file and a rename (<see cref="OwnerOnlyFiles"/>), so a crash never leaves half a key.
/// </summary>
public static class KeyDirectory
{
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

        try
        {
            byte[] key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length == 32 ? key : throw new FormatException($"it holds {key.Length} bytes, not 32");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"Token encryption key {path} is not 32 base64 bytes ({e.Message}); delete it to create a new one, which ends every refresh token.", e);
        }
    }
}
