using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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

/// <summary>Enrolment against the real management service over TLS on loopback.</summary>
[Trait("Category", "Integration")]
public sealed class AgentEnrollerTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private ManagementServer _server = null!;

    public async Task InitializeAsync() => _server = await ManagementServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task EnrolAsync_WithTokenAndCaPin_StoresOwnerOnlyFiles_AndServerIsInTheSite()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory, "gw-enrol");

        var notice = new StringWriter();

        using AgentIdentity identity = await new AgentEnroller(options, await _server.CreateTokenAsync(site), notice).EnrolAsync(CancellationToken.None);

        var store = new AgentIdentityStore(options.DataDirectory);
        Assert.Contains($"Stored the management service's agent CA {_server.Authority.Pin}", notice.ToString(), StringComparison.Ordinal);
        Assert.Equal(_server.Authority.CertificatePem.Trim(), File.ReadAllText(store.AuthorityPath).Trim());
        Assert.Equal(site, identity.Registration.SiteId);
        Assert.Equal(_server.AgentUrl, identity.Registration.AgentEndpoint);
        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.Equal($"CN={identity.Registration.ServerId}, O=OpenTunnel agent", identity.Certificate.Subject);
        Assert.Equal(AgentIdentityStore.OwnerOnly, File.GetUnixFileMode(store.CredentialPath));
        Assert.Equal(AgentIdentityStore.OwnerOnly, File.GetUnixFileMode(store.AuthorityPath));
        Assert.Equal(AgentIdentityStore.OwnerOnly, File.GetUnixFileMode(store.RegistrationPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(options.DataDirectory));
        var server = await _server.GetAsync($"/api/v1/servers/{identity.Registration.ServerId}");
        Assert.Equal("gw-enrol", server.GetProperty("name").GetString());
        Assert.Equal(site, server.GetProperty("siteId").GetGuid());
        var certificates = await _server.GetAsync($"/api/v1/servers/{identity.Registration.ServerId}/certificates");
        Assert.Equal(identity.Certificate.SerialNumber, certificates[0].GetProperty("serialNumber").GetString());
    }

    [Fact]
    public async Task EnrolAsync_TokenUsedTwice_IsRefusedSayingSo()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        using (await new AgentEnroller(_server.AgentOptions(_directory), token, TextWriter.Null).EnrolAsync(CancellationToken.None))
        {
        }

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory), token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Equal(ManagementFailure.Refused, refused.Failure);
        Assert.Contains("the token was already used", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolAsync_ExpiredToken_IsRefusedSayingWhen()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        await using (AsyncServiceScope scope = _server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ManagementDbContext>();
            await db.EnrolmentTokens.Where(t => t.SiteId == site).ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        }

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory), token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("the token expired at", refused.Message, StringComparison.Ordinal);
        Assert.True(_server.Logged("Refused enrolment"));
    }

    [Fact]
    public async Task EnrolAsync_TokenOfDeletedSite_IsRefusedNamingThePossibleCauses()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        await _server.Api.DeleteAsync($"/api/v1/sites/{site}");

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory), token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("its site was deleted", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolAsync_WrongPin_IsRefusedBeforeTheTokenIsSent()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        string wrongPin = "pin-sha256:" + Convert.ToBase64String(new byte[32]);
        AgentOptions options = _server.AgentOptions(_directory) with { CaPin = wrongPin };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Equal(ManagementFailure.Unreachable, refused.Failure);
        Assert.Contains($"nor the agent CA the service serves, has the pin {wrongPin}", refused.Message, StringComparison.Ordinal);
        var tokens = await _server.GetAsync($"/api/v1/sites/{site}/enrolment-tokens");
        Assert.Equal(JsonValueKind.Null, tokens[0].GetProperty("redeemedAt").ValueKind);
    }

    [Fact]
    public async Task Enrol_SentToAHostTheEndpointCertificateDoesNotName_IsRefusedBeforeTheTokenIsSpent()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new HttpClient { BaseAddress = _server.Admin.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, AgentRoutes.Enrolment)
        {
            Content = JsonContent.Create(new EnrolmentRequest(token, "gw-alias", IssuedCertificate.Request(key, "gw-alias")), options: AgentJson.Options),
        };
        request.Headers.Host = "alias.example";

        using HttpResponseMessage response = await client.SendAsync(request);

        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("does not name 'alias.example'", body, StringComparison.Ordinal);
        Assert.Contains("Management:Agents:PublicUrl", body, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, (await _server.TokensAsync(site))[0].GetProperty("redeemedAt").ValueKind);
        Assert.True(_server.Logged("does not name alias.example"));
    }

    [Fact]
    public async Task EnrolAsync_WithCaFile_ChecksTheEndpointAgainstIt()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string caFile = Path.Combine(_directory.Path, "ca-" + Guid.NewGuid().ToString("N")[..6] + ".pem");
        File.WriteAllText(caFile, _server.Authority.CertificatePem);
        AgentOptions options = _server.AgentOptions(_directory) with { CaPin = null, CaFile = caFile };

        using AgentIdentity identity = await new AgentEnroller(options, await _server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None);

        Assert.Equal(_server.Authority.Pin, CertificatePins.Of(identity.Authority));
    }

    [Fact]
    public async Task EnrolAsync_WithCaFileOfAnotherCa_IsRefusedBeforeTheTokenIsSent()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        using X509Certificate2 other = TestCertificates.NewAuthority("another CA");
        string caFile = Path.Combine(_directory.Path, "other-" + Guid.NewGuid().ToString("N")[..6] + ".pem");
        File.WriteAllText(caFile, other.ExportCertificatePem());
        AgentOptions options = _server.AgentOptions(_directory) with { CaPin = null, CaFile = caFile };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, token, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("was not issued by the CA file", refused.Message, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, (await _server.TokensAsync(site))[0].GetProperty("redeemedAt").ValueKind);
    }

    [Fact]
    public async Task EnrolAsync_TrustOnFirstUse_PrintsTheCaPin()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory) with { CaPin = null, TrustOnFirstUse = true };
        var notice = new StringWriter();

        using AgentIdentity identity = await new AgentEnroller(options, await _server.CreateTokenAsync(site), notice).EnrolAsync(CancellationToken.None);

        Assert.Contains("Trusting the management service's certificate on first use", notice.ToString(), StringComparison.Ordinal);
        Assert.Contains(_server.Authority.Pin, notice.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolAsync_AlreadyEnrolled_IsRefusedWithoutContactingTheService()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory);
        using (await new AgentEnroller(options, await _server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None))
        {
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => new AgentEnroller(options, null, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("already enrolled", refused.Message, StringComparison.Ordinal);
    }
}
