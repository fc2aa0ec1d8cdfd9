using OpenTunnel.Management.Agents;
using OpenTunnel.Management.Domain;

namespace OpenTunnel.Management.Tests.Agents;

[Trait("Category", "Unit")]
public sealed class PeerListsTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(30);
    private static readonly Guid A = Guid.NewGuid();
    private static readonly Guid B = Guid.NewGuid();
    private static readonly Guid C = Guid.NewGuid();

    [Fact]
    public void Build_ListsServersWithAnAddressAndAReport_ByAddress_WithHealthAndDrain()
    {
        var entries = PeerLists.Build(
        [
            Source(A, "198.18.0.4:443", sessions: 3),
            Source(B, "198.18.0.3:443", sessions: 1, health: ServerHealth.Warning, state: ServerState.Draining),
            Source(C, null, sessions: 0),
            Source(Guid.NewGuid(), "198.18.0.5:443", sessions: 0, reported: false),
            Source(Guid.NewGuid(), "198.18.0.6:443", sessions: 0, health: ServerHealth.Unhealthy),
            Source(Guid.NewGuid(), "198.18.0.7:443", sessions: 0, state: ServerState.Offline),
            Source(Guid.NewGuid(), "198.18.0.8:443", sessions: 0, sampleDraining: true),
        ]);

        Assert.Equal(["198.18.0.3:443", "198.18.0.4:443", "198.18.0.6:443", "198.18.0.7:443", "198.18.0.8:443"], entries.Select(e => e.Peer.Address));
        Assert.Equal(B, entries[0].ServerId);
        Assert.True(entries[0].Peer is { Healthy: true, Draining: true, Sessions: 1 });
        Assert.True(entries[1].Peer is { Healthy: true, Draining: false, Sessions: 3 });
        Assert.False(entries[2].Peer.Healthy);
        Assert.False(entries[3].Peer.Healthy);
        Assert.True(entries[4].Peer.Draining);
    }

    [Fact]
    public void PublishedPeers_For_LeavesTheServerItself()
    {
        var published = new PublishedPeers(PeerLists.Build([Source(A, "198.18.0.3:443", 1), Source(B, "198.18.0.4:443", 2)]), Now);

        Assert.Equal(["198.18.0.4:443"], published.For(A).Select(p => p.Address));
    }

    [Fact]
    public void ShouldPublish_NewFiguresAlone_OnlyAfterTheRefreshInterval()
    {
        var before = PeerLists.Build([Source(A, "198.18.0.3:443", 1), Source(B, "198.18.0.4:443", 5)]);
        var after = PeerLists.Build([Source(A, "198.18.0.3:443", 2), Source(B, "198.18.0.4:443", 6)]);

        Assert.False(PeerLists.ShouldPublish(before, after, Now.AddSeconds(-29), Now, Refresh));
        Assert.True(PeerLists.ShouldPublish(before, after, Now.AddSeconds(-30), Now, Refresh));
        Assert.False(PeerLists.ShouldPublish(before, before, Now.AddHours(-1), Now, Refresh));
    }

    [Fact]
    public void ShouldPublish_ARankingOrHealthChange_AfterTheMinimumIntervalOnly()
    {
        var before = PeerLists.Build([Source(A, "198.18.0.3:443", 1), Source(B, "198.18.0.4:443", 5)]);
        var reordered = PeerLists.Build([Source(A, "198.18.0.3:443", 9), Source(B, "198.18.0.4:443", 5)]);
        var drained = PeerLists.Build([Source(A, "198.18.0.3:443", 1, state: ServerState.Draining), Source(B, "198.18.0.4:443", 5)]);

        Assert.True(PeerLists.ShouldPublish(before, reordered, Now.AddSeconds(-5), Now, Refresh));
        Assert.True(PeerLists.ShouldPublish(before, drained, Now.AddSeconds(-5), Now, Refresh));
        Assert.False(PeerLists.ShouldPublish(before, reordered, Now.AddSeconds(-4), Now, Refresh));
        Assert.True(PeerLists.ShouldPublish(null, before, default, Now, Refresh));
    }

    [Fact]
    public void Ranking_FewestSessionsFirst_ThenLeastCpu_OnlyServersThatTakeSignIns()
    {
        var entries = PeerLists.Build(
        [
            Source(A, "198.18.0.3:443", 4, cpu: 50),
            Source(B, "198.18.0.4:443", 4, cpu: 10),
            Source(C, "198.18.0.5:443", 0, health: ServerHealth.Unhealthy),
        ]);

        Assert.Equal("198.18.0.4:443 198.18.0.3:443", PeerLists.Ranking(entries));
    }

    private static PeerSource Source(Guid id, string? address, int sessions, ServerHealth health = ServerHealth.Healthy, ServerState state = ServerState.Online,
        bool sampleDraining = false, double? cpu = null, bool reported = true) =>
        new(id, address, state, health, sessions, cpu, sampleDraining, reported ? Now.AddSeconds(-10) : null);
}
