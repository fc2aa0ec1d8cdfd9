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
    [InlineData("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true)]
    [InlineData("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false)]
    [InlineData("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==", false)]
    [InlineData("pin-sha256:not base64 at all", false)]
    [InlineData("pin-sha256:", false)]
    [InlineData(null, false)]
    public void IsWellFormed_PrefixAndBase64Of32Bytes_OnlyThen(string? pin, bool expected) =>
        Assert.Equal(expected, CertificatePins.IsWellFormed(pin));
}
