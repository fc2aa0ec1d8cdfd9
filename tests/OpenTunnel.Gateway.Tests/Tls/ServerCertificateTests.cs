using OpenTunnel.Gateway.Configuration;
using OpenTunnel.Gateway.Tls;
using OpenTunnel.Platform.Linux.Files;
using OpenTunnel.Platform.Linux.Tls;
using OpenTunnel.Protocol.Tls;
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
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory, DateTimeOffset.UtcNow);

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

        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory, DateTimeOffset.UtcNow);

        Assert.True(certificate.Generated);
        Assert.Equal(0, reader.Read(new byte[4096]));
    }

    [Fact]
    public async Task Pin_GeneratedCertificate_IsWhatOpensslComputesFromThePublicKey()
    {
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory, DateTimeOffset.UtcNow);
        string path = Path.Combine(_directory, ServerCertificate.SelfSignedFileName);

        // The recipe openconnect's documentation gives for a pin-sha256.
        using TrackedProcess openssl = TrackedProcess.Start("sh", ["-c", $"openssl x509 -in '{path}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"]);
        Assert.Equal(0, await openssl.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(openssl.Output.Trim(), certificate.Pin);
        Assert.Equal(CertificatePins.Prefix + certificate.Pin, CertificatePins.Of(certificate.Certificate));
        Assert.True(CertificatePins.IsWellFormed(CertificatePins.Of(certificate.Certificate)));
    }

    [Fact]
    public void WatchSecrets_FirstHandshakeAfterIt_HandsItsTrafficSecretsOver()
    {
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory, DateTimeOffset.UtcNow);

        Assert.True(certificate.WatchSecrets(TimeSpan.FromSeconds(30), out string? why), why);
        Assert.Null(why);

        var (client, server) = certificate.HandshakeInMemory(TimeSpan.FromSeconds(30));
        using (client)
        using (server)
        {
            var secrets = TlsTrafficSecretsSource.Take(server);
            Assert.NotNull(secrets);
            Assert.True(Tls13RecordProtection.Supports(secrets.CipherSuite));
        }
    }

    [Fact]
    public void FirstHandshake_CertificateNotWatched_HandsNoSecretsOver()
    {
        // What the first client after a start or reload met before the certificate watched its secrets at its load.
        ServerCertificate certificate = ServerCertificate.Load(new TlsOptions(), _directory, DateTimeOffset.UtcNow);

        var (client, server) = certificate.HandshakeInMemory(TimeSpan.FromSeconds(30));
        using (client)
        using (server)
        {
            Assert.Null(TlsTrafficSecretsSource.Take(server));
        }
    }
}

/// <summary>The self-signed certificate renewed for the same key near its end, so that clients' pins stay valid.</summary>
[Trait("Category", "Unit")]
public sealed class SelfSignedRenewalTests : IDisposable
{
    private static readonly DateTimeOffset Made = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("ot-self-signed-renewal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_WithinTheWarningDays_RenewsForTheSameKey_ThePinStays()
    {
        ServerCertificate first = ServerCertificate.Load(new TlsOptions(), _directory, Made);
        DateTimeOffset late = first.NotAfter.AddDays(-10);

        ServerCertificate renewed = ServerCertificate.Load(new TlsOptions(), _directory, late);
        ServerCertificate reread = ServerCertificate.Load(new TlsOptions(), _directory, late);

        Assert.Equal(first.NotAfter, renewed.RenewedFrom);
        Assert.Equal(first.Pin, renewed.Pin);
        Assert.Equal(late + ServerCertificate.SelfSignedLifetime, renewed.NotAfter, TimeSpan.FromSeconds(1));
        Assert.False(renewed.Generated);
        Assert.Null(reread.RenewedFrom);
        Assert.Equal(renewed.Certificate.Thumbprint, reread.Certificate.Thumbprint);
        Assert.Equal(OwnerOnlyFiles.FileMode, File.GetUnixFileMode(Path.Combine(_directory, ServerCertificate.SelfSignedFileName)));
    }

    [Fact]
    public void Load_Expired_RenewsToo_ButNotWhenAskedOnlyToRead()
    {
        ServerCertificate first = ServerCertificate.Load(new TlsOptions(), _directory, Made);
        DateTimeOffset after = first.NotAfter.AddDays(5);

        ServerCertificate read = ServerCertificate.Load(new TlsOptions(), _directory, after, renewSelfSigned: false);
        ServerCertificate renewed = ServerCertificate.Load(new TlsOptions(), _directory, after);

        Assert.Null(read.RenewedFrom);
        Assert.Equal(first.Certificate.Thumbprint, read.Certificate.Thumbprint);
        Assert.Equal(first.NotAfter, renewed.RenewedFrom);
        Assert.Equal(first.Pin, renewed.Pin);
    }

    [Fact]
    public void Load_MoreThanTheWarningDaysLeft_KeepsTheFile()
    {
        ServerCertificate first = ServerCertificate.Load(new TlsOptions(), _directory, Made);

        ServerCertificate again = ServerCertificate.Load(new TlsOptions { ExpiryWarningDays = 30 }, _directory, first.NotAfter.AddDays(-31));

        Assert.Null(again.RenewedFrom);
        Assert.Equal(first.Certificate.Thumbprint, again.Certificate.Thumbprint);
    }
}
