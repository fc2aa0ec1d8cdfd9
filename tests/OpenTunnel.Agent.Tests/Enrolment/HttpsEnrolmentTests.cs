using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Hosting;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Testing;
using OpenTunnel.Trust;

namespace OpenTunnel.Agent.Tests.Enrolment;

/// <summary>
/// Enrolment at the management service's HTTPS API address (not the agent endpoint), whose
/// certificate the deployment's CA issued: the same pin an administrator gets with the token.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HttpsEnrolmentTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private ManagementServer _server = null!;

    public async Task InitializeAsync() => _server = await ManagementServer.StartAsync(settings: new Dictionary<string, string> { ["urls"] = "https://127.0.0.1:0" });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task EnrolAsync_AtTheHttpsApiWithTheCaPin_EnrolsAndStoresTheAgentEndpoint()
    {
        Assert.Equal(Uri.UriSchemeHttps, _server.ApiUrl.Scheme);
        (Guid site, _) = await _server.CreateSiteAsync();
        AgentOptions options = _server.AgentOptions(_directory) with { ManagementUrl = _server.ApiUrl.ToString().TrimEnd('/') };

        using AgentIdentity identity = await new AgentEnroller(options, await _server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None);

        Assert.Equal(site, identity.Registration.SiteId);
        Assert.Equal(_server.AgentUrl, identity.Registration.AgentEndpoint);
        Assert.Equal(_server.Authority.Pin, CertificatePins.Of(identity.Authority));
    }

    [Fact]
    public async Task EnrolAsync_AtTheHttpsApiWithAnotherPin_IsRefusedNamingThePin()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        string wrongPin = "pin-sha256:" + Convert.ToBase64String(new byte[32]);
        AgentOptions options = _server.AgentOptions(_directory) with { ManagementUrl = _server.ApiUrl.ToString().TrimEnd('/'), CaPin = wrongPin };

        var refused = await Assert.ThrowsAsync<ManagementLinkException>(() => new AgentEnroller(options, "ote_unused", TextWriter.Null).EnrolAsync(CancellationToken.None));

        Assert.Contains($"has the pin {wrongPin}", refused.Message, StringComparison.Ordinal);
    }
}
