using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Files;

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
}
