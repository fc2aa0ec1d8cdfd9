using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Management.Data;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Tests.Enrolment;

/// <summary>
/// Servers that are not the management service, met at enrolment and on the link afterwards: a
/// real TLS server (BouncyCastle, which sends the chain it is told to) presenting a self-signed
/// leaf with the real agent CA, certificates the real CA issued for another host or for client
/// authentication, another CA's, and servers holding a genuine endpoint certificate whose answers
/// name another CA. Each is refused before the token leaves the agent or anything is stored,
/// and the token stays unredeemed at the real service.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ForgedServerTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private ManagementServer _server = null!;

    public enum Impostor
    {
        /// <summary>A self-signed leaf, sent with the real agent CA's certificate.</summary>
        SelfSignedWithRealCa,

        /// <summary>A leaf the real agent CA issued, for server authentication, but for another host.</summary>
        RealCaAnotherHost,

        /// <summary>A leaf the real agent CA issued for 127.0.0.1, but for client authentication only (an agent's kind).</summary>
        RealCaClientUsage,

        /// <summary>A leaf of another CA for 127.0.0.1, sent with that CA.</summary>
        AnotherCa,
    }

    public async Task InitializeAsync() => _server = await ManagementServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Enrol_ServerSendsSelfSignedLeafWithTheRealCa_IsRefusedNamingThePin_TokenNeitherSentNorRedeemed()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 leaf = TestCertificates.SelfSigned(key, "127.0.0.1", "localhost");
        using var forged = new HostileTlsServer([leaf, _server.Authority.Certificate], key) { Handler = ServeRealCa };
        AgentOptions options = _server.AgentOptions(_directory) with { ManagementUrl = forged.Url };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Equal(ManagementFailure.Unreachable, refused.Failure);
        Assert.Contains($"was not issued by the agent CA with the pin {_server.Authority.Pin}", refused.Message, StringComparison.Ordinal);
        Assert.False(forged.Received(token), "The forged server received the enrolment token.");
        Assert.DoesNotContain(forged.Requests, r => r.Request.Contains(AgentRoutes.Enrolment, StringComparison.Ordinal));
        await AssertUnredeemedAsync(site);
        Assert.False(new AgentIdentityStore(options.DataDirectory).IsEnrolled);
    }

    [Theory]
    [InlineData(Impostor.RealCaAnotherHost, "does not name 127.0.0.1")]
    [InlineData(Impostor.RealCaClientUsage, "for server authentication")]
    [InlineData(Impostor.AnotherCa, "was not issued by the agent CA with the pin")]
    public async Task Enrol_ServerWithAnotherCertificate_IsRefusedBeforeTheTokenIsSent(Impostor impostor, string reason)
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        using HostileTlsServer hostile = Start(impostor);
        hostile.Handler = ServeRealCa;
        AgentOptions options = _server.AgentOptions(_directory) with { ManagementUrl = hostile.Url };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        Assert.False(hostile.Received(token), "The server received the enrolment token.");
        await AssertUnredeemedAsync(site);
    }

    [Fact]
    public async Task Enrol_GenuineEndpointCertificateButAnswerNamesAnotherCa_StoresNothing()
    {
        using X509Certificate2 realCa = TestCertificates.RealAuthority(_server);
        using X509Certificate2 attackerCa = TestCertificates.NewAuthority("attacker CA");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 leaf = TestCertificates.Issued(realCa, key, TestCertificates.ServerAuthentication, "127.0.0.1");
        using var hostile = new HostileTlsServer([leaf], key);
        hostile.Handler = (method, path, body) => path == AgentRoutes.Authority
            ? ServeRealCa(method, path, body)
            : path == AgentRoutes.Enrolment ? EnrolmentAnswer(body, attackerCa) : null;
        AgentOptions options = _server.AgentOptions(_directory) with { ManagementUrl = hostile.Url };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => new AgentEnroller(options, "ote_anything", TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains($"names the CA {CertificatePins.Of(attackerCa)}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"not the pinned {_server.Authority.Pin}", refused.Message, StringComparison.Ordinal);
        Assert.Empty(hostile.Failures);
        Assert.False(new AgentIdentityStore(options.DataDirectory).IsEnrolled);
        Assert.False(Directory.Exists(options.DataDirectory) && Directory.EnumerateFiles(options.DataDirectory).Any(), "Something was stored.");
    }

    [Theory]
    [InlineData(Impostor.SelfSignedWithRealCa, "was not issued by the management service's agent CA")]
    [InlineData(Impostor.RealCaAnotherHost, "does not name 127.0.0.1")]
    [InlineData(Impostor.RealCaClientUsage, "for server authentication")]
    [InlineData(Impostor.AnotherCa, "was not issued by the management service's agent CA")]
    public async Task Link_AfterEnrolment_ToAServerThatIsNotTheManagementService_IsRefused(Impostor impostor, string reason)
    {
        (string data, AgentIdentity enrolled) = await EnrolAsync();
        enrolled.Dispose();
        using HostileTlsServer hostile = Start(impostor);
        using AgentIdentity redirected = Redirected(data, hostile.Url);
        using var link = new ManagementLink(redirected);

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => link.PollAsync(null, false, 1, CancellationToken.None));

        Assert.Equal(ManagementFailure.Unreachable, refused.Failure);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        Assert.Empty(hostile.Requests);
    }

    [Fact]
    public async Task Renewal_AnswerNamingAnotherCa_IsRefused_AndThePinnedCaAndCertificateStay()
    {
        (string data, AgentIdentity enrolled) = await EnrolAsync();
        using (enrolled)
        {
            using X509Certificate2 realCa = TestCertificates.RealAuthority(_server);
            using X509Certificate2 attackerCa = TestCertificates.NewAuthority("attacker CA");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using X509Certificate2 leaf = TestCertificates.Issued(realCa, key, TestCertificates.ServerAuthentication, "127.0.0.1");
            using var hostile = new HostileTlsServer([leaf], key);
            Guid serverId = enrolled.Registration.ServerId;
            hostile.Handler = (_, path, body) =>
            {
                if (path != AgentRoutes.Certificate)
                {
                    return null;
                }

                var request = JsonSerializer.Deserialize<CertificateRenewalRequest>(body, AgentJson.Options)!;
                using X509Certificate2 renewed = TestCertificates.AgentCertificate(realCa, request.CertificateRequest!, serverId);
                var answer = new CertificateRenewalResponse(renewed.ExportCertificatePem(), attackerCa.ExportCertificatePem(), renewed.NotAfter.ToUniversalTime());
                return (200, "application/json", JsonSerializer.Serialize(answer, AgentJson.Options));
            };
            var store = new AgentIdentityStore(data);
            string credentialBefore = File.ReadAllText(store.CredentialPath);
            string authorityBefore = File.ReadAllText(store.AuthorityPath);
            using AgentIdentity redirected = Redirected(data, hostile.Url);
            using var link = new ManagementLink(redirected);

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                new CertificateRenewer(store, 100, NullLogger.Instance).RenewIfDueAsync(redirected, link, DateTime.UtcNow, CancellationToken.None));

            Assert.Contains($"names the CA {CertificatePins.Of(attackerCa)}", refused.Message, StringComparison.Ordinal);
            Assert.Empty(hostile.Failures);
            Assert.Equal(credentialBefore, File.ReadAllText(store.CredentialPath));
            Assert.Equal(authorityBefore, File.ReadAllText(store.AuthorityPath));
        }
    }

    /// <summary>What anyone can fetch from the real service: its agent CA.</summary>
    private (int, string, string)? ServeRealCa(string method, string path, string body) =>
        path == AgentRoutes.Authority ? (200, "application/x-pem-file", _server.Authority.CertificatePem) : null;

    /// <summary>An enrolment answer from an attacker: consistent in itself, but naming the attacker's CA.</summary>
    private static (int, string, string)? EnrolmentAnswer(string body, X509Certificate2 attackerCa)
    {
        var request = JsonSerializer.Deserialize<EnrolmentRequest>(body, AgentJson.Options)!;
        Guid id = Guid.NewGuid();
        using X509Certificate2 certificate = TestCertificates.AgentCertificate(attackerCa, request.CertificateRequest!, id);
        var answer = new EnrolmentResponse(id, request.ServerName!, Guid.NewGuid(), "site", certificate.ExportCertificatePem(),
            attackerCa.ExportCertificatePem(), CertificatePins.Of(attackerCa), "https://127.0.0.1:1");
        return (201, "application/json", JsonSerializer.Serialize(answer, AgentJson.Options));
    }

    private HostileTlsServer Start(Impostor impostor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using X509Certificate2 realCa = TestCertificates.RealAuthority(_server);
        using X509Certificate2 otherCa = TestCertificates.NewAuthority("another CA");
        using X509Certificate2 leaf = impostor switch
        {
            Impostor.SelfSignedWithRealCa => TestCertificates.SelfSigned(key, "127.0.0.1"),
            Impostor.RealCaAnotherHost => TestCertificates.Issued(realCa, key, TestCertificates.ServerAuthentication, "elsewhere.example"),
            Impostor.RealCaClientUsage => TestCertificates.Issued(realCa, key, TestCertificates.ClientAuthentication, "127.0.0.1"),
            _ => TestCertificates.Issued(otherCa, key, TestCertificates.ServerAuthentication, "127.0.0.1"),
        };
        X509Certificate2 sentAlong = impostor == Impostor.AnotherCa ? otherCa : _server.Authority.Certificate;
        return new HostileTlsServer([leaf, sentAlong], key);
    }

    /// <summary>An agent enrolled with the real service; its data directory and identity.</summary>
    private async Task<(string DataDirectory, AgentIdentity Identity)> EnrolAsync()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory);
        AgentIdentity identity = await new AgentEnroller(options, await _server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None);
        return (options.DataDirectory, identity);
    }

    /// <summary>The stored identity, told that the agent endpoint is at <paramref name="url"/> (as a redirected network would).</summary>
    private static AgentIdentity Redirected(string dataDirectory, string url)
    {
        AgentIdentity stored = new AgentIdentityStore(dataDirectory).Load();
        return new AgentIdentity(stored.Registration with { AgentEndpoint = url }, stored.Certificate, stored.Authority);
    }

    private async Task AssertUnredeemedAsync(Guid site)
    {
        JsonElement tokens = await _server.TokensAsync(site);
        Assert.Equal(JsonValueKind.Null, tokens[0].GetProperty("redeemedAt").ValueKind);
        await using AsyncServiceScope scope = _server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
        Assert.Null((await db.EnrolmentTokens.SingleAsync(t => t.SiteId == site)).RedeemedAt);
        Assert.False(await db.Servers.AnyAsync(s => s.SiteId == site));
    }
}
