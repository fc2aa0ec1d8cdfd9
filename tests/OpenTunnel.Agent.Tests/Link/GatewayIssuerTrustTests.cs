using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Agent.Protocol;
using OpenTunnel.Agent.Tests.Harness;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Link;

/// <summary>
/// The management service over HTTPS with the deployment CA's certificate, its gateway token
/// settings naming its own embedded provider: an agent enrolled with nothing but the token and the
/// pin gets the deployment CA's pin with the token settings, so its gateway fetches the provider's
/// discovery and keys trusting that CA with no setting of its own.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GatewayIssuerTrustTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();
    private ManagementServer _server = null!;

    public async Task InitializeAsync() => _server = await ManagementServer.StartAsync(settings: new Dictionary<string, string>
    {
        ["urls"] = "https://127.0.0.1:0",
        ["Identity:Issuer"] = "https://127.0.0.1:9443/",
        ["Management:Agents:GatewayAuth:Issuer"] = "https://127.0.0.1:9443",
        ["Management:Agents:GatewayAuth:Audience"] = "opentunnel-gateway",
    });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Poll_EmbeddedIssuerServedWithTheDeploymentsCertificate_CarriesTheDeploymentCaPin()
    {
        (Guid site, _) = await _server.CreateSiteAsync();
        using AgentIdentity identity = await new AgentEnroller(_server.AgentOptions(_directory), await _server.CreateTokenAsync(site), TextWriter.Null).EnrolAsync(CancellationToken.None);
        using var link = new ManagementLink(identity);

        AgentPoll? poll = await link.PollAsync(null, false, 1, CancellationToken.None);

        GatewayAuthConfiguration auth = Assert.IsType<GatewayAuthConfiguration>(poll?.Configuration?.Auth);
        Assert.Equal("https://127.0.0.1:9443", auth.Issuer);
        Assert.Equal(_server.Authority.Pin, auth.CaPin);
    }
}
