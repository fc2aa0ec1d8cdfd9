using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Tests.Enrolment;

/// <summary>
/// What the agent believes of the service's answers, at enrolment and at renewal: nothing it
/// cannot check against the pinned CA. Each refusal names what was wrong, and nothing is stored.
/// </summary>
[Trait("Category", "Unit")]
public sealed class AnswerCheckTests : IDisposable
{
    private readonly X509Certificate2 _authority = TestCertificates.NewAuthority("OpenTunnel agent CA test");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly Guid _serverId = Guid.NewGuid();

    private string Pin => CertificatePins.Of(_authority);

    [Fact]
    public void Enrolment_AnswerAsTheServiceGivesIt_IsAccepted() =>
        AgentEnroller.Check(Answer(), _key, Pin, trust: null);

    [Theory]
    [InlineData("http://127.0.0.1:8444")]
    [InlineData("https://user:secret@127.0.0.1:8444")]
    [InlineData("https://127.0.0.1:8444/elsewhere")]
    [InlineData("https://127.0.0.1:8444/?next=x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("127.0.0.1:8444")]
    public void Enrolment_AgentEndpointNotAnHttpsUrlOfAHost_IsRefused(string endpoint)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => AgentEnroller.Check(Answer() with { AgentEndpoint = endpoint }, _key, Pin, null));

        Assert.Contains("is not an https URL of a host and port", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enrolment_AnswerNamingAnotherCa_ConsistentInItself_IsRefusedNamingBothPins()
    {
        using X509Certificate2 other = TestCertificates.NewAuthority("attacker CA");
        using X509Certificate2 certificate = TestCertificates.AgentCertificate(other, _key, _serverId);
        EnrolmentResponse answer = Answer() with { CaCertificate = other.ExportCertificatePem(), CaPin = CertificatePins.Of(other), Certificate = certificate.ExportCertificatePem() };

        var refused = Assert.Throws<InvalidOperationException>(() => AgentEnroller.Check(answer, _key, Pin, null));

        Assert.Contains($"names the CA {CertificatePins.Of(other)}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"not the pinned {Pin}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enrolment_CertificateIssuedToAnotherServer_IsRefused()
    {
        using X509Certificate2 certificate = TestCertificates.AgentCertificate(_authority, _key, Guid.NewGuid());

        var refused = Assert.Throws<InvalidOperationException>(() => AgentEnroller.Check(Answer() with { Certificate = certificate.ExportCertificatePem() }, _key, Pin, null));

        Assert.Contains($"not to this server ({_serverId})", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enrolment_CertificateForServerAuthentication_IsRefused()
    {
        using X509Certificate2 certificate = TestCertificates.Issued(_authority, _key, TestCertificates.ServerAuthentication, "127.0.0.1");

        var refused = Assert.Throws<InvalidOperationException>(() => AgentEnroller.Check(Answer() with { Certificate = certificate.ExportCertificatePem() }, _key, Pin, null));

        Assert.Contains("for client authentication", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enrolment_CaThatIsNoCa_IsRefused()
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 leaf = TestCertificates.SelfSigned(leafKey, "127.0.0.1");
        EnrolmentResponse answer = Answer() with { CaCertificate = leaf.ExportCertificatePem(), CaPin = CertificatePins.Of(leaf) };

        var refused = Assert.Throws<InvalidOperationException>(() => AgentEnroller.Check(answer, _key, pin: null, trust: null));

        Assert.Contains("is not a CA certificate", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renewal_AnswerAsTheServiceGivesIt_IsAccepted()
    {
        using AgentIdentity identity = Identity();
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 renewed = TestCertificates.AgentCertificate(_authority, newKey, _serverId);

        CertificateRenewer.Check(new CertificateRenewalResponse(renewed.ExportCertificatePem(), _authority.ExportCertificatePem(), renewed.NotAfter), newKey, identity);
    }

    [Fact]
    public void Renewal_AnswerNamingAnotherCa_IsRefused()
    {
        using AgentIdentity identity = Identity();
        using X509Certificate2 other = TestCertificates.NewAuthority("attacker CA");
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 renewed = TestCertificates.AgentCertificate(_authority, newKey, _serverId);

        var refused = Assert.Throws<InvalidOperationException>(() =>
            CertificateRenewer.Check(new CertificateRenewalResponse(renewed.ExportCertificatePem(), other.ExportCertificatePem(), renewed.NotAfter), newKey, identity));

        Assert.Contains($"names the CA {CertificatePins.Of(other)}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"not the pinned agent CA {Pin}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renewal_CertificateOfAnotherCa_IsRefused()
    {
        using AgentIdentity identity = Identity();
        using X509Certificate2 other = TestCertificates.NewAuthority("attacker CA");
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 renewed = TestCertificates.AgentCertificate(other, newKey, _serverId);

        var refused = Assert.Throws<InvalidOperationException>(() =>
            CertificateRenewer.Check(new CertificateRenewalResponse(renewed.ExportCertificatePem(), string.Empty, renewed.NotAfter), newKey, identity));

        Assert.Contains($"was not issued by the management service's agent CA {Pin}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renewal_CertificateIssuedToAnotherServer_IsRefused()
    {
        using AgentIdentity identity = Identity();
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 renewed = TestCertificates.AgentCertificate(_authority, newKey, Guid.NewGuid());

        var refused = Assert.Throws<InvalidOperationException>(() =>
            CertificateRenewer.Check(new CertificateRenewalResponse(renewed.ExportCertificatePem(), _authority.ExportCertificatePem(), renewed.NotAfter), newKey, identity));

        Assert.Contains("not to this server", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _authority.Dispose();
        _key.Dispose();
    }

    /// <summary>An enrolment answer as the service gives it: its CA, that CA's pin, a certificate for our key to our server id.</summary>
    private EnrolmentResponse Answer()
    {
        using X509Certificate2 certificate = TestCertificates.AgentCertificate(_authority, _key, _serverId);
        return new EnrolmentResponse(_serverId, "gw", Guid.NewGuid(), "site", certificate.ExportCertificatePem(), _authority.ExportCertificatePem(), Pin, "https://127.0.0.1:8444");
    }

    private AgentIdentity Identity()
    {
        X509Certificate2 certificate = TestCertificates.AgentCertificate(_authority, _key, _serverId);
        var registration = new AgentRegistration(_serverId, "gw", Guid.NewGuid(), "site", "https://127.0.0.1:8444", "https://127.0.0.1:8444", DateTime.UtcNow);
        return new AgentIdentity(registration, certificate, X509CertificateLoader.LoadCertificate(_authority.RawData));
    }
}
