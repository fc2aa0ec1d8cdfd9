namespace OpenTunnel.Agent.Tests.Hosting;

/// <summary>
/// Tests that build a whole agent host with its metrics run one after the other: two agent hosts
/// side by side in one test process (never the case in production, one agent per process) made
/// one's Prometheus scrape come back without the agent's instruments.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AgentHostCollection
{
    public const string Name = "Agent hosts";
}
