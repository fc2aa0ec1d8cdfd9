using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Management.Agents;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class InternalCertificateAuthorityTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void LoadOrCreate_FirstStart_WritesKeyOwnerOnly_AndTheNextStartLoadsTheSameCa()
    {
        using var created = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);
        using var loaded = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);

        Assert.True(created.Created);
        Assert.False(loaded.Created);
        Assert.Equal(created.Pin, loaded.Pin);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory.Path, InternalCertificateAuthority.KeyFileName)));
        Assert.StartsWith(CertificatePins.Prefix, created.Pin, StringComparison.Ordinal);
    }

    [Fact]
    public void IssueClientCertificate_TakesOnlyTheKey_SubjectIsTheServerAndUsageClientAuthentication()
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=chosen-by-agent", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var server = Guid.NewGuid();

        using X509Certificate2 issued = authority.IssueClientCertificate(request.CreateSigningRequestPem(), server, Now, TimeSpan.FromDays(90));

        Assert.Equal($"CN={server}, O=OpenTunnel agent", issued.Subject);
        Assert.False(issued.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.True(authority.Verify(issued, InternalCertificateAuthority.ClientAuthentication, Now, out _));
        Assert.False(authority.Verify(issued, InternalCertificateAuthority.ServerAuthentication, Now, out _));
        Assert.False(authority.Verify(issued, InternalCertificateAuthority.ClientAuthentication, Now.AddDays(91), out string? expired));
        Assert.NotNull(expired);
    }

    [Fact]
    public void Verify_CertificateOfAnotherCa_SaysSo()
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Subdirectory("a"), Now);
        using var other = InternalCertificateAuthority.LoadOrCreate(_directory.Subdirectory("b"), Now);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 foreign = other.IssueClientCertificate(new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem(), Guid.NewGuid(), Now, TimeSpan.FromDays(1));

        Assert.False(authority.Verify(foreign, InternalCertificateAuthority.ClientAuthentication, Now, out string? problem));
        Assert.Contains("not issued by this management service's agent CA", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a request")]
    [InlineData("")]
    public void IssueClientCertificate_NotARequest_IsRefused(string pem)
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);

        var refused = Assert.Throws<CertificateRequestException>(() => authority.IssueClientCertificate(pem, Guid.NewGuid(), Now, TimeSpan.FromDays(1)));

        Assert.Contains("PKCS#10", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IssueClientCertificate_WeakRsaKey_IsRefusedNamingTheSize()
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);
        using var rsa = RSA.Create(1024);
        string pem = new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();

        var refused = Assert.Throws<CertificateRequestException>(() => authority.IssueClientCertificate(pem, Guid.NewGuid(), Now, TimeSpan.FromDays(1)));

        Assert.Contains("1024 bits", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IssueServerCertificate_HasItsKey_AndServerAuthenticationOnly()
    {
        using var authority = InternalCertificateAuthority.LoadOrCreate(_directory.Path, Now);

        using X509Certificate2 server = authority.IssueServerCertificate(["localhost", "127.0.0.1"], Now, TimeSpan.FromDays(90));

        Assert.True(server.HasPrivateKey);
        Assert.True(authority.Verify(server, InternalCertificateAuthority.ServerAuthentication, Now, out _));
        Assert.False(authority.Verify(server, InternalCertificateAuthority.ClientAuthentication, Now, out _));
    }

    public void Dispose() => _directory.Dispose();
}
