using System.Formats.Asn1;
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

    /// <summary>The pin of the public key in <paramref name="certificate"/>, a DER-encoded certificate, with its prefix (<see cref="HashOf(ReadOnlyMemory{byte})"/>).</summary>
    /// <exception cref="CryptographicException">The bytes are not a DER-encoded certificate.</exception>
    public static string Of(ReadOnlyMemory<byte> certificate) => Prefix + HashOf(certificate);

    /// <summary>The base64 of the SHA-256 of <paramref name="certificate"/>'s SubjectPublicKeyInfo, without the prefix.</summary>
    public static string HashOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// The base64 of the SHA-256 of the SubjectPublicKeyInfo in <paramref name="certificate"/>, the
    /// DER encoding of an X.509 certificate, without the prefix: the same hash as
    /// <see cref="HashOf(X509Certificate2)"/>, read straight from the encoding (a TLS client that
    /// checks a pin per connection saves loading the certificate, about 0.18 ms each here).
    /// </summary>
    /// <exception cref="CryptographicException">The bytes are not a DER-encoded certificate.</exception>
    public static string HashOf(ReadOnlyMemory<byte> certificate)
    {
        try
        {
            var outer = new AsnReader(certificate, AsnEncodingRules.DER);
            var tbsCertificate = outer.ReadSequence().ReadSequence();
            // TBSCertificate (RFC 5280 §4.1): [0] version (optional), serialNumber, signature,
            // issuer, validity, subject, subjectPublicKeyInfo, ...
            if (tbsCertificate.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                tbsCertificate.ReadEncodedValue();
            }

            for (int field = 0; field < 5; field++)
            {
                tbsCertificate.ReadEncodedValue();
            }

            if (!tbsCertificate.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                throw new CryptographicException("The certificate has no SubjectPublicKeyInfo where RFC 5280 puts it.");
            }

            return Convert.ToBase64String(SHA256.HashData(tbsCertificate.ReadEncodedValue().Span));
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The bytes are not a DER-encoded X.509 certificate: " + e.Message, e);
        }
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
