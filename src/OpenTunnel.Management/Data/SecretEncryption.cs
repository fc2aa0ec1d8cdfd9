using System.Security.Cryptography;
using System.Text;
using OpenTunnel.Platform.Linux.Files;

namespace OpenTunnel.Management.Data;

/// <summary>
/// The key-encryption key of the shared secrets: 32 random bytes, base64, in a file of mode 0600
/// (Management:SecretsKeyFile, default DATA/secrets-key) that every replica must hold the same
/// copy of. Values are sealed with AES-256-GCM, the secret's name bound as associated data, so a
/// value copied under another name does not open.
/// </summary>
public sealed class SecretEncryption
{
    private const string Version = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretEncryption(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 32)
        {
            throw new ArgumentException($"The key-encryption key has {key.Length} bytes; it must have 32.", nameof(key));
        }

        _key = key;
        Source = "the given key";
    }

    /// <summary>Where the key came from, for messages.</summary>
    public string Source { get; private init; }

    /// <summary>
    /// Reads the key file, or creates it (exclusively, mode 0600) when <paramref name="create"/>
    /// and it does not exist. A replica that joins must be given the first replica's file.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is missing (and may not be created) or does not hold 32 base64 bytes; the message names it.</exception>
    public static SecretEncryption LoadOrCreate(string path, bool create)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            if (!create)
            {
                throw new InvalidOperationException($"The key-encryption key file {path} (Management:SecretsKeyFile) does not exist; copy the file of the first replica there.");
            }

            try
            {
                OwnerOnlyFiles.WriteNew(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process on the same folder made it first; it is read below.
            }
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"The key-encryption key file {path} (Management:SecretsKeyFile) is not base64 ({e.Message}); it must hold 32 random bytes in base64, e.g. from `openssl rand -base64 32`.", e);
        }

        if (key.Length != 32)
        {
            throw new InvalidOperationException($"The key-encryption key file {path} (Management:SecretsKeyFile) holds {key.Length} bytes; it must hold 32 (base64), e.g. from `openssl rand -base64 32`.");
        }

        return new SecretEncryption(key) { Source = path };
    }

    public string Protect(string name, string plaintext)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(plaintext);
        byte[] clear = Encoding.UTF8.GetBytes(plaintext);
        byte[] sealedValue = new byte[NonceSize + TagSize + clear.Length];
        Span<byte> nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, clear, sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(name));
        return Version + Convert.ToBase64String(sealedValue);
    }

    /// <exception cref="InvalidOperationException">The value is not one this key sealed under this name; the message says what to check.</exception>
    public string Unprotect(string name, string stored)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(stored);
        byte[] sealedValue;
        try
        {
            sealedValue = stored.StartsWith(Version, StringComparison.Ordinal) ? Convert.FromBase64String(stored[Version.Length..]) : [];
        }
        catch (FormatException)
        {
            sealedValue = [];
        }

        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new InvalidOperationException($"The shared secret {name} in the database is not in the {Version.TrimEnd('.')} format; restore the table SharedSecrets from a backup.");
        }

        byte[] clear = new byte[sealedValue.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize + TagSize), sealedValue.AsSpan(NonceSize, TagSize), clear, Encoding.UTF8.GetBytes(name));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new InvalidOperationException($"The shared secret {name} in the database does not open with the key-encryption key {Source}: every replica must have the same key file (Management:SecretsKeyFile); copy the first replica's.", e);
        }

        return Encoding.UTF8.GetString(clear);
    }
}
