using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Identity;

[Trait("Category", "Unit")]
public sealed class AgentIdentityStoreTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void Save_ThenLoad_GivesTheCertificateWithItsKey_InOwnerOnlyFiles()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 certificate = new CertificateRequest("CN=test", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var store = new AgentIdentityStore(Path.Combine(_directory.Path, "agent"));
        var registration = new AgentRegistration(Guid.NewGuid(), "gw", Guid.NewGuid(), "site", "https://127.0.0.1:1", "https://127.0.0.1:2", DateTime.UtcNow);

        store.Save(registration, certificate.ExportCertificatePem(), key, certificate.ExportCertificatePem());
        using AgentIdentity identity = store.Load();

        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.Equal(certificate.Thumbprint, identity.Certificate.Thumbprint);
        Assert.Equal(registration.ServerId, identity.Registration.ServerId);
        Assert.Equal(AgentIdentityStore.OwnerOnly, File.GetUnixFileMode(store.CredentialPath));
        Assert.Empty(Directory.GetFiles(store.Directory, "*.tmp"));
    }

    [Fact]
    public void Load_NotEnrolled_SaysWhatToRun()
    {
        var store = new AgentIdentityStore(_directory.Path);

        var missing = Assert.Throws<InvalidOperationException>(store.Load);

        Assert.Contains("opentunnel-agent enrol", missing.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
