using OpenTunnel.Agent.Enrolment;
using OpenTunnel.Agent.Identity;
using OpenTunnel.Agent.Link;
using OpenTunnel.Testing;

namespace OpenTunnel.Agent.Tests.Harness;

/// <summary>One management service for a test class, and enrolled agents in a temporary directory.</summary>
public sealed class ManagementServerFixture : IAsyncLifetime
{
    public TemporaryDirectory Directory { get; } = new();

    public ManagementServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ManagementServer.StartAsync();

    /// <summary>A new site with an agent enrolled into it, and the agent's link.</summary>
    public async Task<EnrolledAgent> EnrolAsync(string? probeUrl = null)
    {
        (Guid site, Guid configuration) = await Server.CreateSiteAsync(probeUrl);
        var options = Server.AgentOptions(Directory, await Server.CreateTokenAsync(site));
        AgentIdentity identity = await new AgentEnroller(options, TextWriter.Null).EnrolAsync(CancellationToken.None);
        return new EnrolledAgent(identity, new ManagementLink(identity), site, configuration, options.DataDirectory);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Dispose();
    }
}

/// <summary>An enrolled agent's identity and link, with its site, server configuration and data directory.</summary>
public sealed record EnrolledAgent(AgentIdentity Identity, ManagementLink Link, Guid Site, Guid Configuration, string DataDirectory) : IDisposable
{
    public Guid ServerId => Identity.Registration.ServerId;

    public void Dispose()
    {
        Link.Dispose();
        Identity.Dispose();
    }
}
