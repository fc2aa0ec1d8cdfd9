using System.Net;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class BanListTests
{
    private static readonly IPAddress Client = IPAddress.Parse("198.18.1.100");
    private static readonly BanPolicy Policy = new(30, TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(10));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AddPoints_ReachingTheThreshold_BansForBanSeconds()
    {
        var bans = new BanList(_time);

        Assert.Null(bans.AddPoints(Client, 10, Policy));
        Assert.Null(bans.AddPoints(Client, 10, Policy));
        Assert.False(bans.IsBanned(Client));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), bans.AddPoints(Client, 10, Policy));

        Assert.True(bans.IsBanned(Client));
        Assert.False(bans.IsBanned(IPAddress.Parse("198.18.1.101")));
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.False(bans.IsBanned(Client));
        Assert.Null(bans.AddPoints(Client, 10, Policy));
    }

    [Fact]
    public void IsBanned_WallClockStepsAnHourForward_TheBanStillLastsBanSeconds()
    {
        var clock = new SteppedWallClock(_time);
        var bans = new BanList(clock);
        Assert.NotNull(bans.AddPoints(Client, 30, Policy));

        clock.Step = TimeSpan.FromHours(1);
        _time.Advance(TimeSpan.FromMinutes(9));
        bool beforeItsEnd = bans.IsBanned(Client);
        DateTimeOffset listedAt = clock.GetUtcNow();
        BanEntry listed = Assert.Single(bans.Snapshot(Policy));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.True(beforeItsEnd);
        Assert.Equal(listedAt + TimeSpan.FromMinutes(1), listed.BannedUntil);
        Assert.False(bans.IsBanned(Client));
    }

    [Fact]
    public void IsBanned_WallClockStepsAnHourBack_TheBanEndsAfterBanSeconds()
    {
        var clock = new SteppedWallClock(_time);
        var bans = new BanList(clock);
        Assert.NotNull(bans.AddPoints(Client, 30, Policy));

        clock.Step = -TimeSpan.FromHours(1);
        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.False(bans.IsBanned(Client));
        Assert.Empty(bans.Snapshot(Policy));
    }

    [Fact]
    public void AddPoints_WallClockStepsAnHourForward_TheScoreIsKeptUntilTheQuietPeriodPassed()
    {
        var clock = new SteppedWallClock(_time);
        var bans = new BanList(clock);
        bans.AddPoints(Client, 20, Policy);

        clock.Step = TimeSpan.FromHours(1);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.NotNull(bans.AddPoints(Client, 10, Policy));
        Assert.True(bans.IsBanned(Client));
    }

    [Fact]
    public void AddPoints_AfterAQuietPeriod_StartsTheScoreOver()
    {
        var bans = new BanList(_time);
        bans.AddPoints(Client, 20, Policy);

        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Null(bans.AddPoints(Client, 20, Policy));

        Assert.False(bans.IsBanned(Client));
        Assert.Equal(20, Assert.Single(bans.Snapshot(Policy)).Score);
    }

    [Fact]
    public void AddPoints_IPv6_CountsTheWhole64AsOneClient()
    {
        var bans = new BanList(_time);

        bans.AddPoints(IPAddress.Parse("2001:db8:1::1"), 10, Policy);
        bans.AddPoints(IPAddress.Parse("2001:db8:1::2"), 10, Policy);
        bans.AddPoints(IPAddress.Parse("2001:db8:1:0:ffff::3"), 10, Policy);

        Assert.True(bans.IsBanned(IPAddress.Parse("2001:db8:1::99")));
        Assert.False(bans.IsBanned(IPAddress.Parse("2001:db8:1:1::1")));
        Assert.Equal("2001:db8:1::/64", Assert.Single(bans.Snapshot(Policy)).Client.ToString());
    }

    [Fact]
    public void AddPoints_ThresholdZero_NeverBans()
    {
        var bans = new BanList(_time);

        Assert.Null(bans.AddPoints(Client, 1000, Policy with { Threshold = 0 }));

        Assert.False(bans.IsBanned(Client));
        Assert.Empty(bans.Snapshot(Policy));
    }

    [Fact]
    public void Unban_ClearsTheBanAndTheScore()
    {
        var bans = new BanList(_time);
        bans.AddPoints(Client, 30, Policy);

        Assert.True(bans.Unban(ClientAddressKey.From(Client)));

        Assert.False(bans.IsBanned(Client));
        Assert.Empty(bans.Snapshot(Policy));
        Assert.False(bans.Unban(ClientAddressKey.From(Client)));
        Assert.Null(bans.AddPoints(Client, 20, Policy));
    }

    [Fact]
    public void Snapshot_ListsBannedClientsFirstWithTheirExpiry()
    {
        var bans = new BanList(_time);
        bans.AddPoints(IPAddress.Parse("198.18.1.5"), 20, Policy);
        bans.AddPoints(Client, 30, Policy);
        bans.AddPoints(IPAddress.Parse("198.18.1.6"), 10, Policy);

        var list = bans.Snapshot(Policy);

        Assert.Equal(["198.18.1.100", "198.18.1.5", "198.18.1.6"], list.Select(e => e.Client.ToString()));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), list[0].BannedUntil);
        Assert.Null(list[1].BannedUntil);
        Assert.Equal(1, bans.BannedCount);
    }

    [Fact]
    public void AddPoints_PastCapacity_ForgetsTheLeastRecentClient_AndABannedClientThatKeepsComingStays()
    {
        var bans = new BanList(_time, capacity: 3);
        bans.AddPoints(Client, 30, Policy);
        bans.AddPoints(IPAddress.Parse("198.18.1.1"), 10, Policy);
        bans.AddPoints(IPAddress.Parse("198.18.1.2"), 10, Policy);

        Assert.True(bans.IsBanned(Client));
        bans.AddPoints(IPAddress.Parse("198.18.1.3"), 10, Policy);

        Assert.True(bans.IsBanned(Client));
        Assert.Equal(3, bans.Snapshot(Policy).Count);
        Assert.DoesNotContain(bans.Snapshot(Policy), e => e.Client.ToString() == "198.18.1.1");
    }
}
