using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenTunnel.Agent.Protocol;

/// <summary>
/// "pin-sha256:" + base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: the form
/// openconnect's --servercert and RFC 7469 use, and the one the agent accepts in --ca-pin.
/// </summary>
public static class CertificatePins
{
    public const string Prefix = "pin-sha256:";

    public static string Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Prefix + Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
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
