using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Management.Data;
using OpenTunnel.Testing;

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
        AgentOptions options = _server.AgentOptions(_directory, await _server.CreateTokenAsync(site), "gw-enrol");

        using AgentIdentity identity = await new AgentEnroller(options, TextWriter.Null).EnrolAsync(CancellationToken.None);

        var store = new AgentIdentityStore(options.DataDirectory);
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
        using (await new AgentEnroller(_server.AgentOptions(_directory, token), TextWriter.Null).EnrolAsync(CancellationToken.None))
        {
        }

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory, token), TextWriter.Null).EnrolAsync(CancellationToken.None));

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

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory, token), TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("the token expired at", refused.Message, StringComparison.Ordinal);
        Assert.True(_server.Logged("Refused enrolment"));
    }

    [Fact]
    public async Task EnrolAsync_TokenOfDeletedSite_IsRefusedNamingThePossibleCauses()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        await _server.Api.DeleteAsync($"/api/v1/sites/{site}");

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(_server.AgentOptions(_directory, token), TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("its site was deleted", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolAsync_WrongPin_IsRefusedBeforeTheTokenIsSent()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string token = await _server.CreateTokenAsync(site);
        AgentOptions options = _server.AgentOptions(_directory, token) with { CaPin = "pin-sha256:" + Convert.ToBase64String(new byte[32]) };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Equal(ManagementFailure.Unreachable, refused.Failure);
        Assert.Contains("no certificate of the presented chain has the pin", refused.Message, StringComparison.Ordinal);
        var tokens = await _server.GetAsync($"/api/v1/sites/{site}/enrolment-tokens");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, tokens[0].GetProperty("redeemedAt").ValueKind);
    }

    [Fact]
    public async Task EnrolAsync_TrustOnFirstUse_PrintsTheCaPin()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory, await _server.CreateTokenAsync(site)) with { CaPin = null, TrustOnFirstUse = true };
        var notice = new StringWriter();

        using AgentIdentity identity = await new AgentEnroller(options, notice).EnrolAsync(CancellationToken.None);

        Assert.Contains("Trusting the management service's certificate on first use", notice.ToString(), StringComparison.Ordinal);
        Assert.Contains(_server.Authority.Pin, notice.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrolAsync_AlreadyEnrolled_IsRefusedWithoutContactingTheService()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory, await _server.CreateTokenAsync(site));
        using (await new AgentEnroller(options, TextWriter.Null).EnrolAsync(CancellationToken.None))
        {
        }

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => new AgentEnroller(options, TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains("already enrolled", refused.Message, StringComparison.Ordinal);
    }
}
