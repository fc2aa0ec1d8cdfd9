using System.Net;
using Microsoft.Extensions.Time.Testing;
using OpenTunnel.Gateway.SignIn;
using OpenTunnel.Testing;

namespace OpenTunnel.Gateway.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class AuthRateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("198.18.1.2");

    [Fact]
    public void TryAcquire_OverTheLimit_RefusesUntilTheMinuteIsOver()
    {
        var time = NewTime();
        var limiter = new AuthRateLimiter(time);

        Assert.True(limiter.TryAcquire(Client, 2));
        Assert.True(limiter.TryAcquire(Client, 2));
        Assert.False(limiter.TryAcquire(Client, 2));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(limiter.TryAcquire(Client, 2));
    }

    [Fact]
    public void TryAcquire_OtherAddress_HasItsOwnBudget()
    {
        var limiter = new AuthRateLimiter(NewTime());
        limiter.TryAcquire(Client, 1);

        Assert.False(limiter.TryAcquire(Client, 1));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("198.18.1.3"), 1));
    }

    [Fact]
    public void TryAcquire_ZeroLimit_NeverRefuses()
    {
        var limiter = new AuthRateLimiter(NewTime());

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(Client, 0));
        }
    }

    [Fact]
    public void TryAcquire_OtherAddressOfTheSameIPv6Slash64_SharesTheBudget()
    {
        var limiter = new AuthRateLimiter(NewTime());
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2::1"), 2));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 2));

        Assert.False(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:fffe"), 2));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8:1:3::1"), 2));
        Assert.Equal(2, limiter.Count);
    }

    [Fact]
    public void TryAcquire_IPv4MappedAddress_CountsAsTheIPv4Address()
    {
        var limiter = new AuthRateLimiter(NewTime());
        limiter.TryAcquire(Client, 1);

        Assert.False(limiter.TryAcquire(IPAddress.Parse("::ffff:198.18.1.2"), 1));
        Assert.Equal(1, limiter.Count);
    }

    [Fact]
    public void TryAcquire_MoreClientsThanTheCapacity_ForgetsTheLeastRecentlySeen()
    {
        var limiter = new AuthRateLimiter(NewTime(), capacity: 3);
        IPAddress a = IPAddress.Parse("198.18.1.10"), b = IPAddress.Parse("198.18.1.11"), c = IPAddress.Parse("198.18.1.12");
        limiter.TryAcquire(a, 1);
        limiter.TryAcquire(b, 1);
        limiter.TryAcquire(c, 1);
        Assert.False(limiter.TryAcquire(a, 1)); // a is now the most recently seen, b the least

        Assert.True(limiter.TryAcquire(IPAddress.Parse("198.18.1.13"), 1));

        Assert.Equal(3, limiter.Count);
        Assert.False(limiter.TryAcquire(a, 1));
        Assert.False(limiter.TryAcquire(c, 1));
        Assert.True(limiter.TryAcquire(b, 1));
    }

    [Fact]
    public void TryAcquire_FloodOfFreshAddressesWithinAMinute_StaysWithinTheCapacityAndQuick()
    {
        // Before the bound, a table past 10,000 fresh entries grew without end and was scanned
        // whole under the lock on every attempt.
        var limiter = new AuthRateLimiter(NewTime(), capacity: 10_000);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        for (int i = 0; i < 300_000; i++)
        {
            Assert.True(limiter.TryAcquire(new IPAddress([198, (byte)(18 + (i >> 16)), (byte)(i >> 8), (byte)i]), 5));
        }

        stopwatch.Stop();
        Assert.Equal(10_000, limiter.Count);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"300,000 attempts took {stopwatch.Elapsed}");
    }

    [Theory]
    [InlineData("198.18.1.2", "198.18.1.2")]
    [InlineData("::ffff:198.18.1.2", "198.18.1.2")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void ClientAddressKey_ToString_NamesTheAddressOrTheSlash64(string address, string expected)
    {
        Assert.Equal(expected, ClientAddressKey.From(IPAddress.Parse(address)).ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void TryAcquire_WallClockStepsAnHour_TheWindowStillLastsAMinuteOfMonotonicTime(int hours)
    {
        var time = NewTime();
        var clock = new SteppedWallClock(time);
        var limiter = new AuthRateLimiter(clock);
        Assert.True(limiter.TryAcquire(Client, 1));

        // The wall clock jumps; the monotonic clock moves 30 s: still the same window.
        clock.Step = TimeSpan.FromHours(hours);
        time.Advance(TimeSpan.FromSeconds(30));
        bool withinTheMinute = limiter.TryAcquire(Client, 1);
        time.Advance(TimeSpan.FromSeconds(31));
        bool afterTheMinute = limiter.TryAcquire(Client, 1);

        Assert.False(withinTheMinute);
        Assert.True(afterTheMinute);
    }

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
}
