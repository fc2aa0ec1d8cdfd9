using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Testing;

namespace OpenTunnel.Trust.Tests;

/// <summary>The checks of a presented certificate, without a connection: the callback's inputs are what a TLS handshake would give it.</summary>
[Trait("Category", "Unit")]
public sealed class DeploymentTrustTests : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private readonly TemporaryDirectory _directory = new();
    private readonly X509Certificate2 _authority = Authority("deployment CA");
    private readonly X509Certificate2 _other = Authority("another CA");

    [Fact]
    public void FromPin_MalformedPin_IsRefusedNamingTheSetting()
    {
        var refused = Assert.Throws<ArgumentException>(() => DeploymentTrust.FromPin("sha256:abc", "--ca-pin"));

        Assert.StartsWith("--ca-pin 'sha256:abc' is not a certificate pin", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCaFile_LeafInsteadOfACa_IsRefusedNamingTheSettingAndFile()
    {
        using X509Certificate2 leaf = Leaf(_authority, "gateway.example.test");
        string file = Write("leaf.pem", leaf);

        var refused = Assert.Throws<ArgumentException>(() => DeploymentTrust.FromCaFile(file, "Auth:CaFile"));

        Assert.StartsWith($"Auth:CaFile '{file}' must hold one or more CA certificates", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_PinAndFile_ExcludeEachOther()
    {
        var refused = Assert.Throws<ArgumentException>(() => DeploymentTrust.From(CertificatePins.Of(_authority), Write("ca.pem", _authority), "--ca-pin", "--ca-file"));

        Assert.Contains("--ca-pin and --ca-file exclude each other", refused.Message, StringComparison.Ordinal);
        Assert.Null(DeploymentTrust.From(null, null, "--ca-pin", "--ca-file"));
    }

    [Fact]
    public void Validate_WithTheCaFile_AcceptsItsLeafForTheHostItNames_AndNothingElse()
    {
        DeploymentTrust trust = DeploymentTrust.FromCaFile(Write("ca.pem", _authority), "--ca-file");
        using X509Certificate2 genuine = Leaf(_authority, "gateway.example.test");
        using X509Certificate2 forged = Leaf(_other, "gateway.example.test");

        Assert.True(trust.Validate("gateway.example.test", genuine, null));
        Assert.Null(trust.LastProblem);
        Assert.False(trust.Validate("elsewhere.example.test", genuine, null));
        Assert.Contains("does not name elsewhere.example.test", trust.LastProblem, StringComparison.Ordinal);
        Assert.False(trust.Validate("gateway.example.test", forged, null));
        Assert.Contains("was not issued by the CA file", trust.LastProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithThePinOfTheLeafsOwnKey_AcceptsIt_AsOpenconnectsServercertDoes()
    {
        using X509Certificate2 leaf = Leaf(_other, "gateway.example.test");
        DeploymentTrust trust = DeploymentTrust.FromPin(CertificatePins.Of(leaf), "--ca-pin");

        Assert.True(trust.Validate("any.example.test", leaf, null));
    }

    [Fact]
    public void Validate_WithACaPin_ACaTheServerSendsAlongWithAnotherPin_ProvesNothing()
    {
        DeploymentTrust trust = DeploymentTrust.FromPin(CertificatePins.Of(_authority), "--ca-pin");
        using X509Certificate2 forged = Leaf(_other, "gateway.example.test");
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(_other.RawData));

        Assert.False(trust.Validate("gateway.example.test", forged, chain));
        Assert.Contains($"no CA certificate of the server has the pin {CertificatePins.Of(_authority)}", trust.LastProblem, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _authority.Dispose();
        _other.Dispose();
        _directory.Dispose();
    }

    private string Write(string name, X509Certificate2 certificate)
    {
        string file = _directory.File(name);
        File.WriteAllText(file, certificate.ExportCertificatePem());
        return file;
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Leaf(X509Certificate2 authority, string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        // Inside the authority's validity, which was taken a moment earlier: the same "now + 1 day"
        // could end a second after it, which CertificateRequest refuses.
        return request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(16));
    }
}
