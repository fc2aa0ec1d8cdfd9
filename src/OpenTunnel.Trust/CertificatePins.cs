using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Trust;

/// <summary>
/// "pin-sha256:" + base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: the form
/// openconnect's --servercert and RFC 7469 use, the one the agent accepts in --ca-pin, and the one
/// the gateway prints for its own certificate.
/// </summary>
public static class CertificatePins
{
    public const string Prefix = "pin-sha256:";

    /// <summary>The pin of <paramref name="certificate"/>'s public key, with its prefix: "pin-sha256:BASE64".</summary>
    public static string Of(X509Certificate2 certificate) => Prefix + HashOf(certificate);

    /// <summary>The base64 of the SHA-256 of <paramref name="certificate"/>'s SubjectPublicKeyInfo, without the prefix.</summary>
    public static string HashOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Whether <paramref name="pin"/> is the prefix and the base64 of 32 bytes.</summary>
    public static bool IsWellFormed(string? pin)
    {
        if (pin is null || !pin.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[33];
        return Convert.TryFromBase64String(pin[Prefix.Length..], hash, out int written) && written == 32;
    }
}
