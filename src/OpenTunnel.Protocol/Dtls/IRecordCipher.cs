using System.Security.Cryptography;

namespace OpenTunnel.Protocol.Dtls;

/// <summary>
/// AES-GCM with one key and 16-byte tags, as the DTLS record layer uses it: one record sealed or
/// opened per call. One instance serves one direction of one connection, one call at a time.
/// </summary>
public interface IRecordCipher : IDisposable
{
    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (the same length) and writes the tag.</summary>
    void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> additionalData);

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> into <paramref name="plaintext"/> when
    /// <paramref name="tag"/> verifies; false, with <paramref name="plaintext"/> cleared, when it
    /// does not.
    /// </summary>
    bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> additionalData);
}

/// <summary>Makes the <see cref="IRecordCipher"/> of one key (16 or 32 bytes).</summary>
public delegate IRecordCipher RecordCipherFactory(ReadOnlySpan<byte> key);

/// <summary>The portable <see cref="IRecordCipher"/>: .NET's <see cref="AesGcm"/>.</summary>
public sealed class DotNetRecordCipher(ReadOnlySpan<byte> key) : IRecordCipher
{
    private readonly AesGcm _aes = new(key, DtlsRecordProtection.TagLength);

    /// <summary>A <see cref="RecordCipherFactory"/> of this kind.</summary>
    public static IRecordCipher Create(ReadOnlySpan<byte> key) => new DotNetRecordCipher(key);

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> additionalData) =>
        _aes.Encrypt(nonce, plaintext, ciphertext, tag, additionalData);

    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> additionalData)
    {
        try
        {
            _aes.Decrypt(nonce, ciphertext, tag, plaintext, additionalData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose() => _aes.Dispose();
}
