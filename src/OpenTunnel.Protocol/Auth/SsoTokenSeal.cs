using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OpenTunnel.Protocol.Auth;

/// <summary>
/// The sealed single-sign-on token of AnyConnect's external-browser sign-in, as openconnect 9.x
/// opens it (its <c>handle_external_browser</c>, external-browser.c): the client sends an ephemeral
/// P-256 public key in <c>X-AnyConnect-STRAP-DH-Pubkey</c> (base64 SubjectPublicKeyInfo); the
/// gateway makes its own ephemeral key, takes the x coordinate of the ECDH product, derives an
/// AES-256 key with HKDF-SHA256 (no salt, info <c>AC_ECIES</c>) and encrypts the token with
/// AES-256-GCM (12-byte IV, 12-byte tag, no associated data). The result is
/// <c>00 01</c> followed by TLVs (16-bit big-endian tag and length): 1 the gateway's public key
/// (SubjectPublicKeyInfo), 2 the tag, 3 the ciphertext, 4 the IV; base64 of it is the last
/// segment of <c>http://localhost:29786/api/sso/…</c>.
/// </summary>
public static class SsoTokenSeal
{
    /// <summary>The HKDF info string (openconnect: <c>hkdf_sha256_extract_expand(…, "AC_ECIES", 8)</c>).</summary>
    public static ReadOnlySpan<byte> KeyInfo => "AC_ECIES"u8;

    public const int TagSize = 12;
    public const int IvSize = 12;
    public const ushort PublicKeyTag = 1;
    public const ushort AuthenticationTag = 2;
    public const ushort CiphertextTag = 3;
    public const ushort IvTag = 4;

    /// <summary>The largest client key read: a P-256 SubjectPublicKeyInfo is 91 bytes.</summary>
    private const int MaxClientKeyCharacters = 512;

    /// <summary>
    /// Reads the client's key from the header value; false with <paramref name="error"/> naming
    /// the problem when it is not base64 of a P-256 SubjectPublicKeyInfo.
    /// </summary>
    public static bool TryReadClientKey(string? header, out ECParameters key, out string? error)
    {
        key = default;
        if (string.IsNullOrWhiteSpace(header))
        {
            error = "no X-AnyConnect-STRAP-DH-Pubkey header";
            return false;
        }

        if (header.Length > MaxClientKeyCharacters)
        {
            error = $"the X-AnyConnect-STRAP-DH-Pubkey header is {header.Length} characters, more than a P-256 key takes";
            return false;
        }

        try
        {
            using var client = ECDiffieHellman.Create();
            client.ImportSubjectPublicKeyInfo(Convert.FromBase64String(header.Trim()), out _);
            key = client.ExportParameters(includePrivateParameters: false);
            if (!key.Curve.IsNamed || key.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                error = $"the X-AnyConnect-STRAP-DH-Pubkey key is on curve {key.Curve.Oid.FriendlyName ?? key.Curve.Oid.Value}, not P-256";
                return false;
            }

            error = null;
            return true;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            error = "the X-AnyConnect-STRAP-DH-Pubkey header is not a base64 P-256 public key: " + e.Message;
            return false;
        }
    }

    /// <summary>Seals <paramref name="token"/> (ASCII letters and digits, as openconnect demands) for the holder of <paramref name="clientKey"/>; base64.</summary>
    public static string Seal(ECParameters clientKey, string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        foreach (char c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                throw new ArgumentException("openconnect takes only ASCII letters and digits in the sign-in token.", nameof(token));
            }
        }

        using var client = ECDiffieHellman.Create(clientKey);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] secret = ephemeral.DeriveRawSecretAgreement(client.PublicKey);
        byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: KeyInfo.ToArray());
        byte[] plaintext = Encoding.ASCII.GetBytes(token);
        byte[] ciphertext = new byte[plaintext.Length];
        byte[] tag = new byte[TagSize];
        byte[] iv = RandomNumberGenerator.GetBytes(IvSize);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(iv, plaintext, ciphertext, tag);
        }

        CryptographicOperations.ZeroMemory(secret);
        CryptographicOperations.ZeroMemory(key);
        byte[] publicKey = ephemeral.ExportSubjectPublicKeyInfo();
        var blob = new List<byte>(2 + 16 + publicKey.Length + tag.Length + ciphertext.Length + iv.Length) { 0, 1 };
        Append(blob, PublicKeyTag, publicKey);
        Append(blob, AuthenticationTag, tag);
        Append(blob, CiphertextTag, ciphertext);
        Append(blob, IvTag, iv);
        return Convert.ToBase64String(blob.ToArray());
    }

    private static void Append(List<byte> blob, ushort tag, byte[] value)
    {
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(head, tag);
        BinaryPrimitives.WriteUInt16BigEndian(head[2..], checked((ushort)value.Length));
        blob.AddRange(head.ToArray());
        blob.AddRange(value);
    }
}
