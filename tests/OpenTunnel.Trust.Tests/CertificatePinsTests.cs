using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Testing;

namespace OpenTunnel.Trust.Tests;

[Trait("Category", "Unit")]
public sealed class CertificatePinsTests
{
    [Fact]
    public void Of_Certificate_IsTheSha256OfItsPublicKeyAsOpensslComputesIt()
    {
        using var directory = new TemporaryDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest("CN=pin test", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(directory.File("certificate.pem"), certificate.ExportCertificatePem());

        // The recipe openconnect's documentation gives for --servercert pin-sha256:.
        CommandResult openssl = Command.Run("sh", "-c",
            $"openssl x509 -in '{directory.File("certificate.pem")}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64");

        Assert.True(openssl.Succeeded, openssl.StandardError);
        Assert.Equal("pin-sha256:" + openssl.StandardOutput.Trim(), CertificatePins.Of(certificate));
        Assert.Equal(openssl.StandardOutput.Trim(), CertificatePins.HashOf(certificate));
    }

    [Theory]
    [InlineData("ecdsa", true)]
    [InlineData("rsa", true)]
    [InlineData("rsa", false)]
    public void HashOf_Encoding_IsTheHashOfTheLoadedCertificate(string keyType, bool withExtensions)
    {
        using AsymmetricAlgorithm key = keyType == "rsa" ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest("CN=gateway.example, O=Example", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=gateway.example, O=Example", (ECDsa)key, HashAlgorithmName.SHA256);
        if (withExtensions)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("gateway.example");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        }

        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(CertificatePins.HashOf(certificate), CertificatePins.HashOf(certificate.RawData.AsMemory()));
    }

    [Fact]
    public void HashOf_BytesThatAreNoCertificate_CryptographicExceptionThatSaysSo()
    {
        var refused = Assert.Throws<CryptographicException>(() => CertificatePins.HashOf(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x05 }.AsMemory()));
        Assert.Contains("not a DER-encoded X.509 certificate", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true)]
    [InlineData("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false)]
    [InlineData("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==", false)]
    [InlineData("pin-sha256:not base64 at all", false)]
    [InlineData("pin-sha256:", false)]
    [InlineData(null, false)]
    public void IsWellFormed_PrefixAndBase64Of32Bytes_OnlyThen(string? pin, bool expected) =>
        Assert.Equal(expected, CertificatePins.IsWellFormed(pin));
}
