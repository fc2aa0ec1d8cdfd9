using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Gateway.Tests.Tls;

[Trait("Category", "Unit")]
public sealed class ServerCertificateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ot-server-certificate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_NoCertificateConfigured_GeneratesAPrivateSelfSignedFile()
    {
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory);

        string path = Path.Combine(_directory, ServerCertificate.SelfSignedFileName);
        Assert.True(certificate.Generated);
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(path));
        Assert.Contains("PRIVATE KEY", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal([ServerCertificate.SelfSignedFileName], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_WideTemporaryFileLeftByACrashOpenByAnotherReader_ReaderNeverSeesTheKey()
    {
        // The generator used to write the key into "self-signed.pem.tmp" with the umask's mode and
        // restrict it afterwards; a reader holding that file open got the private key.
        string leftover = Path.Combine(_directory, ServerCertificate.SelfSignedFileName + ".tmp");
        File.WriteAllText(leftover, string.Empty);
        File.SetUnixFileMode(leftover, OwnerOnlyFiles.FileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var reader = new FileStream(leftover, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory);

        Assert.True(certificate.Generated);
        Assert.Equal(0, reader.Read(new byte[4096]));
    }

    [Fact]
    public async Task Pin_GeneratedCertificate_IsWhatOpensslComputesFromThePublicKey()
    {
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory);
        string path = Path.Combine(_directory, ServerCertificate.SelfSignedFileName);

        // The recipe openconnect's documentation gives for a pin-sha256.
        using TrackedProcess openssl = TrackedProcess.Start("sh", ["-c", $"openssl x509 -in '{path}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"]);
        Assert.Equal(0, await openssl.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(openssl.Output.Trim(), certificate.Pin);
        Assert.Equal(CertificatePins.Prefix + certificate.Pin, CertificatePins.Of(certificate.Certificate));
        Assert.True(CertificatePins.IsWellFormed(CertificatePins.Of(certificate.Certificate)));
    }
}
